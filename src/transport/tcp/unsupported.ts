/**
 * Transactions (AddPartitionsToTxn, AddOffsetsToTxn, EndTxn, WriteTxnMarkers,
 * TxnOffsetCommit: API keys 24-28) are not served yet. They are not advertised, so a client
 * that checks ApiVersions never sends them; a transactional producer starts with
 * FindCoordinator for a transaction coordinator or InitProducerId with a transactional id,
 * and is refused there with an error every client treats as fatal at once.
 *
 * Which error: librdkafka (`rd_kafka_txn_handle_FindCoordinator` in rdkafka_txnmgr.c and
 * `rd_kafka_idemp_check_error` in rdkafka_idempotence.c, 2.0 to 2.15) raises a fatal error
 * only for TRANSACTIONAL_ID_AUTHORIZATION_FAILED (and CLUSTER_AUTHORIZATION_FAILED,
 * INVALID_TRANSACTION_TIMEOUT); any other code, UNSUPPORTED_VERSION included (what Redpanda
 * answers with transactions disabled), makes `init_transactions()` query again every
 * 500 ms until its timeout. The Java client's `TransactionManager` is fatal on any
 * unexpected code, and KafkaJS gives up on any non-retriable one. So
 * TRANSACTIONAL_ID_AUTHORIZATION_FAILED (53): the transactional id is not usable here, and
 * the error message, which librdkafka and the Java client print after the code's name,
 * says why.
 * @internal
 */
import { ApiKey } from '../../protocol/api-keys.js';
import type { Request, Response } from '../../protocol/requests.js';

export const transactionsUnsupported = 'Tributary does not support transactions yet (a transactional.id needs the transaction APIs 24-28); use an idempotent producer without transactional.id';

/** The answer to a request that needs transactions, or undefined for any other request. */
export function refuseTransactions(request: Request): Response | undefined {
  if (request.apiKey === ApiKey.FindCoordinator && request.keyType === 1) {
    return {
      apiKey: ApiKey.FindCoordinator,
      throttleTimeMs: 0,
      coordinators: request.coordinatorKeys.map((key) => ({ key, nodeId: -1, host: '', port: -1, errorCode: 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED', errorMessage: transactionsUnsupported })),
    };
  }
  if (request.apiKey === ApiKey.InitProducerId && request.transactionalId !== null) {
    return { apiKey: ApiKey.InitProducerId, throttleTimeMs: 0, errorCode: 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED', producerId: -1, producerEpoch: -1 };
  }
  return undefined;
}
