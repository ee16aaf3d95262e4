/**
 * Producer id blocks: the controller's part that Kafka calls `ProducerIdControlManager`.
 * A broker asks for a block of ids (AllocateProducerIds) and hands them to its idempotent
 * producers; the block's end is a ProducerIds record, so every controller, after a
 * failover too, continues from where the last block ended and no id is handed out twice.
 */
import { checkBrokerEpoch } from './cluster-control.js';
import { ok, type Txn } from './controller-txn.js';
import { ApiKey, metadataInt64Max } from './records.js';
import type { AllocateProducerIdsRequest, AllocateProducerIdsResponse } from './requests.js';

/** Producer ids handed to a broker at a time (Kafka's `ProducerIdsBlock.PRODUCER_ID_BLOCK_SIZE`). */
export const producerIdBlockSize = 1000;

export function allocateProducerIds(txn: Txn, req: AllocateProducerIdsRequest): AllocateProducerIdsResponse {
  const stale = checkBrokerEpoch(txn, req.brokerId, req.brokerEpoch);
  if (stale !== undefined) return { errorCode: stale.code, errorMessage: stale.message, producerIdStart: -1, producerIdLen: 0 };
  const start = txn.delta.nextProducerId;
  if (start + producerIdBlockSize > metadataInt64Max) return { errorCode: 'UNKNOWN_SERVER_ERROR', errorMessage: 'producer ids are exhausted', producerIdStart: -1, producerIdLen: 0 };
  txn.emit({ apiKey: ApiKey.ProducerIds, brokerId: req.brokerId, brokerEpoch: req.brokerEpoch, nextProducerId: start + producerIdBlockSize });
  return { ...ok, producerIdStart: start, producerIdLen: producerIdBlockSize };
}
