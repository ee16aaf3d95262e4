/**
 * Transactions (AddPartitionsToTxn, AddOffsetsToTxn, EndTxn, WriteTxnMarkers,
 * TxnOffsetCommit: API keys 24-28) are not served yet. They are not advertised, so a client
 * that checks ApiVersions never sends them; a transactional producer starts with
 * FindCoordinator for a transaction coordinator or InitProducerId with a transactional id,
 * and gets a clear, non-retriable UNSUPPORTED_VERSION there, instead of a
 * COORDINATOR_NOT_AVAILABLE it would retry until its timeout.
 * @internal
 */
import { ApiKey } from '../../protocol/api-keys.js';
import type { Request, Response } from '../../protocol/requests.js';

export const transactionsUnsupported = 'Tributary does not support transactions yet (a transactional.id needs the transaction APIs 24-28)';

/** The answer to a request that needs transactions, or undefined for any other request. */
export function refuseTransactions(request: Request): Response | undefined {
  if (request.apiKey === ApiKey.FindCoordinator && request.keyType === 1) {
    return {
      apiKey: ApiKey.FindCoordinator,
      throttleTimeMs: 0,
      coordinators: request.coordinatorKeys.map((key) => ({ key, nodeId: -1, host: '', port: -1, errorCode: 'UNSUPPORTED_VERSION', errorMessage: transactionsUnsupported })),
    };
  }
  if (request.apiKey === ApiKey.InitProducerId && request.transactionalId !== null) {
    return { apiKey: ApiKey.InitProducerId, throttleTimeMs: 0, errorCode: 'UNSUPPORTED_VERSION', producerId: -1, producerEpoch: -1 };
  }
  return undefined;
}
