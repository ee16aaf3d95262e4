/**
 * KIP-664's transaction admin APIs on a broker without transactions:
 *
 * - DescribeProducers (61): Kafka's `ReplicaManager.activeProducerState`: the leader of
 *   each partition lists the producers its log remembers (id, epoch, last sequence, last
 *   timestamp); a partition this broker does not lead is NOT_LEADER_OR_FOLLOWER, an
 *   unknown one UNKNOWN_TOPIC_OR_PARTITION. Tributary's producers are idempotent, never
 *   transactional, so `coordinatorEpoch` and `currentTxnStartOffset` are always -1.
 *   The producers are read from the partition's own snapshot of its producer state (the
 *   bytes it writes at each segment roll), so this costs one small copy per partition
 *   asked, and nothing on the produce path.
 * - ListTransactions (66): no transaction exists, so the list is empty; state filters that
 *   name no state Kafka knows are returned in `unknownStateFilters`, as Kafka's
 *   `TransactionStateManager.listTransactionStates` does.
 * - DescribeTransactions (65): every transactional id is TRANSACTIONAL_ID_NOT_FOUND, as
 *   Kafka's coordinator answers an id it has no state for.
 * @internal
 */
import { ApiKey } from '../protocol/api-keys.js';
import type * as P from '../protocol/index.js';
import { ProducerState } from './core/producer-state.js';
import type { ReplicaManager } from './replica-manager.js';

/** Kafka's transaction states (`TransactionState`), the names ListTransactions filters by. */
const transactionStates = new Set(['Empty', 'Ongoing', 'PrepareCommit', 'PrepareAbort', 'CompleteCommit', 'CompleteAbort', 'Dead', 'PrepareEpochFence']);

export async function describeProducers(replicas: ReplicaManager, req: P.DescribeProducersRequest): Promise<P.DescribeProducersResponse> {
  const topics = await Promise.all(
    req.topics.map(async (t) => ({
      name: t.name,
      partitions: await Promise.all(
        t.partitionIndexes.map(async (index): Promise<P.DescribeProducersPartition> => {
          const found = await replicas.leaderPartition(t.name, index);
          if ('errorCode' in found) return { partitionIndex: index, errorCode: found.errorCode, errorMessage: null, activeProducers: [] };
          const state = new ProducerState();
          const bytes = found.replica.log.producerSnapshots.source?.();
          if (bytes !== undefined) state.restore(bytes);
          const activeProducers = [...state.entries()]
            .map((e) => ({ ...e, coordinatorEpoch: -1, currentTxnStartOffset: -1 }))
            .sort((a, b) => a.producerId - b.producerId);
          return { partitionIndex: index, errorCode: 'NONE', errorMessage: null, activeProducers };
        }),
      ),
    })),
  );
  return { apiKey: ApiKey.DescribeProducers, topics, throttleTimeMs: 0 };
}

export function listTransactions(req: P.ListTransactionsRequest): P.ListTransactionsResponse {
  return { apiKey: ApiKey.ListTransactions, errorCode: 'NONE', unknownStateFilters: req.stateFilters.filter((s) => !transactionStates.has(s)), transactionStates: [], throttleTimeMs: 0 };
}

export function describeTransactions(req: P.DescribeTransactionsRequest): P.DescribeTransactionsResponse {
  const transactionStates = req.transactionalIds.map((transactionalId): P.TransactionDescription => ({
    errorCode: 'TRANSACTIONAL_ID_NOT_FOUND',
    transactionalId,
    transactionState: '',
    transactionTimeoutMs: 0,
    transactionStartTimeMs: -1,
    producerId: -1,
    producerEpoch: -1,
    topics: [],
  }));
  return { apiKey: ApiKey.DescribeTransactions, transactionStates, throttleTimeMs: 0 };
}
