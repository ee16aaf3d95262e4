/**
 * The sender core driven by hand: time is a number passed in, answers are objects handed
 * back, and what it wants done is read off the plan `runOnce` returns. No transport, no
 * clock, no event loop. (The real producer over the same core: `../sender.test.ts`,
 * `../producer.test.ts` and the node simulation.)
 */
import { describe, expect, it } from 'vitest';
import { ApiKey } from '../../protocol/api-keys.js';
import type { MetadataResponse } from '../../protocol/cluster.js';
import type { ProduceResponse } from '../../protocol/produce.js';
import type { ErrorCode } from '../../util/error-codes.js';
import { TributaryError } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';
import { PartitionQueue } from '../accumulator.js';
import { ReadyQueues } from './ready-queues.js';
import { ClientMetadata } from './metadata.js';
import type { ReadySet, SenderAccumulator, SenderBatch, SenderBatchResult, SenderBatchState, SenderQueue } from './sender-batch.js';
import { Sender, type ProduceRequestPlan, type SendPlan, type SenderOptions } from './sender.js';

/** A batch of `records` records that is full (sent without lingering); it remembers how it was stamped. */
class TestBatch implements SenderBatch {
  state: SenderBatchState = 'open';
  readonly full = true;
  readonly pos = 100;
  readonly capacity = 1024;
  bytes: Uint8Array | undefined;
  baseSequence = -1;
  producerId = -1;
  producerEpoch = -1;
  sendOrder = -1;
  leaderEpoch = -1;
  attempts = 0;
  retryAtMs = 0;
  awaitingMetadata = false;
  outcomeUnknown = false;
  storageError: string | undefined;
  result: SenderBatchResult | undefined;
  finished = false;
  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly createdMs: number,
    readonly recordCount = 1,
  ) {}
  close(): void {
    this.bytes = new Uint8Array(this.pos);
  }
  stamp(producerId: number, producerEpoch: number, baseSequence: number): void {
    this.producerId = producerId;
    this.producerEpoch = producerEpoch;
    this.baseSequence = baseSequence;
  }
  writeCrc(): void {}
  finish(): void {
    this.finished = true;
  }
}

/** The accumulator's part the core uses, over the real `PartitionQueue`. */
class TestAccumulator implements SenderAccumulator<TestBatch> {
  readonly ready = new ReadyQueues<PartitionQueue>() as unknown as ReadySet<SenderQueue<TestBatch>>;
  readonly incomplete = new Set<TestBatch>();
  private readonly byPartition = new Map<string, PartitionQueue>();
  add(b: TestBatch): void {
    const key = `${b.topic}-${b.partition}`;
    let q = this.byPartition.get(key);
    if (q === undefined) this.byPartition.set(key, (q = new PartitionQueue(b.topic, b.partition)));
    q.push(b as never);
    this.incomplete.add(b);
    this.ready.add(q as unknown as SenderQueue<TestBatch>);
  }
  queueFor(b: TestBatch): SenderQueue<TestBatch> {
    return this.byPartition.get(`${b.topic}-${b.partition}`) as unknown as SenderQueue<TestBatch>;
  }
  queues(): Iterable<SenderQueue<TestBatch>> {
    return this.byPartition.values() as unknown as Iterable<SenderQueue<TestBatch>>;
  }
  deallocate(b: TestBatch): void {
    this.incomplete.delete(b);
  }
}

const options: SenderOptions = { acks: -1, idempotent: true, lingerMs: 0, compression: 'none', maxRequestSize: 1 << 20, deliveryTimeoutMs: 120_000, requestTimeoutMs: 30_000, retryBackoffMs: 100, retryBackoffMaxMs: 1000, maxInFlight: 5 };

function metadataResponse(topic: string, leaders: readonly number[], leaderEpoch = 0): MetadataResponse {
  return {
    apiKey: ApiKey.Metadata,
    brokers: [1, 2, 3].map((nodeId) => ({ nodeId, host: 'localhost', port: 9092 + nodeId, rack: null })),
    clusterId: 'c',
    controllerId: 1,
    topics: [{ errorCode: 'NONE', name: topic, isInternal: false, partitions: leaders.map((leaderId, partitionIndex) => ({ errorCode: 'NONE', partitionIndex, leaderId, leaderEpoch, replicaNodes: [1, 2, 3], isrNodes: [1, 2, 3], offlineReplicas: [] })) }],
  } as unknown as MetadataResponse;
}

function produceAnswer(r: ProduceRequestPlan<TestBatch>, code: ErrorCode = 'NONE', baseOffset = 0): ProduceResponse {
  return {
    apiKey: ApiKey.Produce,
    responses: r.batches.map((b) => ({ name: b.topic, partitionResponses: [{ index: b.partition, errorCode: code, baseOffset, logAppendTimeMs: -1, logStartOffset: 0, recordErrors: [], errorMessage: null }] })),
    throttleTimeMs: 0,
  } as unknown as ProduceResponse;
}

/** A core with fresh metadata for `topic` (partitions led by `leaders`) and, unless `idempotent` is off, producer id 7 epoch 0. */
function setup(topic: string, leaders: readonly number[], o: Partial<SenderOptions> = {}, known = true): { sender: Sender<TestBatch>; acc: TestAccumulator; meta: ClientMetadata } {
  const acc = new TestAccumulator();
  const meta = new ClientMetadata({ metadataMaxAgeMs: 300_000, retryBackoffMs: 100, retryBackoffMaxMs: 1000 }, new Rng(2));
  meta.want(topic);
  if (known) {
    meta.beginUpdate(0);
    meta.updated(metadataResponse(topic, leaders), 0);
  }
  const sender = new Sender<TestBatch>(acc, meta, { ...options, ...o }, new Rng(1));
  return { sender, acc, meta };
}

/** Runs the core (a batch is waiting): it asks for a producer id first; answers with id 7 epoch 0. */
function withProducerId(sender: Sender<TestBatch>, now: number): void {
  const plan = sender.runOnce(now);
  expect(plan.initProducerId?.request).toMatchObject({ producerId: -1, producerEpoch: -1 });
  sender.producerIdAnswered({ apiKey: ApiKey.InitProducerId, errorCode: 'NONE', producerId: 7, producerEpoch: 0 }, now);
}

/** The earliest time in [from, to] at which `runOnce` returns a plan matching `wanted` (stepping 1 ms), or -1. */
function firstTimeWhen(sender: Sender<TestBatch>, from: number, to: number, wanted: (p: SendPlan<TestBatch>) => boolean): number {
  for (let t = from; t <= to; t++) if (wanted(sender.runOnce(t))) return t;
  return -1;
}

describe('the sender core: InitProducerId', () => {
  it('asks for a producer id before the first batch, one request at a time, and sends the batch under it', () => {
    const { sender, acc } = setup('t', [1]);
    const b = new TestBatch('t', 0, 0);
    acc.add(b);
    const plan = sender.runOnce(0);
    expect(plan.requests).toEqual([]);
    expect(plan.initProducerId).toEqual({ request: { apiKey: ApiKey.InitProducerId, transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 }, attempt: 0 });
    expect(sender.txn.state).toBe('initializing');
    // Unanswered: nothing more, not a second InitProducerId.
    expect(sender.runOnce(5)).toMatchObject({ initProducerId: undefined, requests: [], wakeAtMs: Infinity });
    sender.producerIdAnswered({ apiKey: ApiKey.InitProducerId, errorCode: 'NONE', producerId: 7, producerEpoch: 0 }, 10);
    expect(sender.txn.state).toBe('ready');
    const sent = sender.runOnce(10);
    expect(sent.requests.map((r) => r.node)).toEqual([1]);
    sender.encode(sent.requests[0]!, 10);
    expect([b.producerId, b.producerEpoch, b.baseSequence]).toEqual([7, 0, 0]);
  });

  it('retries InitProducerId on a retriable error after a backoff that doubles, asking the next node each time', () => {
    const { sender, acc } = setup('t', [1]);
    acc.add(new TestBatch('t', 0, 0));
    expect(sender.runOnce(0).initProducerId?.attempt).toBe(0);
    sender.producerIdAnswered({ apiKey: ApiKey.InitProducerId, errorCode: 'COORDINATOR_NOT_AVAILABLE', producerId: -1, producerEpoch: -1 }, 0);
    const waiting = sender.runOnce(0);
    expect(waiting.initProducerId).toBeUndefined();
    // retryBackoffMs 100, ±20%.
    expect(waiting.wakeAtMs).toBeGreaterThanOrEqual(80);
    expect(waiting.wakeAtMs).toBeLessThanOrEqual(120);
    const attempts: number[] = [];
    const asked = (p: SendPlan<TestBatch>): boolean => (p.initProducerId === undefined ? false : (attempts.push(p.initProducerId.attempt), true));
    const first = firstTimeWhen(sender, 0, 1000, asked);
    expect(first).toBe(waiting.wakeAtMs);
    // The second failure is a broken connection: the backoff doubles (200 ms ±20%).
    sender.producerIdFailed(new TributaryError('NETWORK_EXCEPTION', 'connection lost'), first);
    const second = firstTimeWhen(sender, first, first + 1000, asked);
    expect(attempts).toEqual([1, 2]);
    expect(second - first).toBeGreaterThanOrEqual(160);
    expect(second - first).toBeLessThanOrEqual(240);
    sender.producerIdAnswered({ apiKey: ApiKey.InitProducerId, errorCode: 'NONE', producerId: 7, producerEpoch: 0 }, second);
    expect(sender.runOnce(second).requests).toHaveLength(1);
  });

  it('retries InitProducerId even after every waiting batch expired, as Kafka’s sender loop does', () => {
    const { sender, acc } = setup('t', [1], { deliveryTimeoutMs: 50 });
    const b = new TestBatch('t', 0, 0);
    acc.add(b);
    sender.runOnce(0);
    sender.producerIdFailed(new TributaryError('REQUEST_TIMED_OUT', 'no answer'), 60);
    // The batch waited past its delivery timeout: it fails, and the id is still asked for.
    expect(b.finished).toBe(true);
    expect(b.result).toMatchObject({ error: { code: 'REQUEST_TIMED_OUT' } });
    expect(firstTimeWhen(sender, 60, 1000, (p) => p.initProducerId !== undefined)).toBeGreaterThan(60);
  });

  it('fails the waiting batches with the error of a fatal InitProducerId answer, and asks again only for a new batch', () => {
    const { sender, acc } = setup('t', [1, 2]);
    const batches = [new TestBatch('t', 0, 0), new TestBatch('t', 1, 0)];
    for (const b of batches) acc.add(b);
    sender.runOnce(0);
    sender.producerIdAnswered({ apiKey: ApiKey.InitProducerId, errorCode: 'CLUSTER_AUTHORIZATION_FAILED', producerId: -1, producerEpoch: -1 }, 3);
    for (const b of batches) {
      expect(b.finished).toBe(true);
      expect(b.result).toMatchObject({ error: { code: 'CLUSTER_AUTHORIZATION_FAILED' } });
    }
    expect(sender.txn.state).toBe('uninitialized');
    expect(firstTimeWhen(sender, 3, 2000, (p) => p.initProducerId !== undefined || p.wakeAtMs !== Infinity)).toBe(-1);
    acc.add(new TestBatch('t', 0, 2000));
    expect(sender.runOnce(2000).initProducerId?.attempt).toBe(0);
  });

  it('a transport error that is not retriable is fatal too', () => {
    const { sender, acc } = setup('t', [1]);
    const b = new TestBatch('t', 0, 0);
    acc.add(b);
    sender.runOnce(0);
    sender.producerIdFailed(new TributaryError('UNSUPPORTED_VERSION', 'no InitProducerId'), 1);
    expect(b.result).toMatchObject({ error: { code: 'UNSUPPORTED_VERSION' } });
  });

  it('bumps the epoch after OUT_OF_ORDER_SEQUENCE_NUMBER for a partition’s first unsettled batch, then numbers it from 0 under the new epoch', () => {
    const { sender, acc } = setup('t', [1]);
    const b = new TestBatch('t', 0, 0, 3);
    acc.add(b);
    withProducerId(sender, 0);
    const plan = sender.runOnce(0);
    sender.encode(plan.requests[0]!, 0);
    expect([b.producerEpoch, b.baseSequence]).toEqual([0, 0]);
    sender.completed(plan.requests[0]!, produceAnswer(plan.requests[0]!, 'OUT_OF_ORDER_SEQUENCE_NUMBER'), 1);
    expect(sender.txn.resetNeeded).toBe(true);
    // The bump: an InitProducerId for id 7 epoch 0, and no Produce request meanwhile.
    const bump = sender.runOnce(1);
    expect(bump.requests).toEqual([]);
    expect(bump.initProducerId?.request).toMatchObject({ producerId: 7, producerEpoch: 0 });
    sender.producerIdAnswered({ apiKey: ApiKey.InitProducerId, errorCode: 'NONE', producerId: 7, producerEpoch: 1 }, 2);
    expect(sender.txn.resetNeeded).toBe(false);
    const retry = firstTimeWhen(sender, 2, 1000, (p) => {
      if (p.requests.length === 0) return false;
      sender.encode(p.requests[0]!, 0);
      return true;
    });
    expect(retry).toBeGreaterThan(2);
    expect([b.producerId, b.producerEpoch, b.baseSequence, b.attempts]).toEqual([7, 1, 0, 2]);
  });

  it('holds the bump while a batch that may have been written is unresolved, and resends that batch as it was', () => {
    const { sender, acc, meta } = setup('t', [1, 2]);
    const lost = new TestBatch('t', 0, 0);
    const refused = new TestBatch('t', 1, 0);
    acc.add(lost);
    acc.add(refused);
    withProducerId(sender, 0);
    const plan = sender.runOnce(0);
    for (const r of plan.requests) sender.encode(r, 0);
    const [r0, r1] = plan.requests as [ProduceRequestPlan<TestBatch>, ProduceRequestPlan<TestBatch>];
    // Partition 1's batch failed for good (its sequence is lost: a bump is due); partition 0's answer was lost.
    sender.completed(r1, produceAnswer(r1, 'INVALID_RECORD'), 1);
    sender.requestFailed(r0, new TributaryError('NETWORK_EXCEPTION', 'lost'), true, 1);
    expect(sender.txn.resetNeeded).toBe(true);
    // Until the lost batch is resolved: no InitProducerId; the batch goes again as it was
    // (after its backoff and, its error being a network one, a metadata answer).
    let resent: ProduceRequestPlan<TestBatch> | undefined;
    for (let t = 1; t < 1000 && resent === undefined; t++) {
      const p = sender.runOnce(t);
      expect(p.initProducerId).toBeUndefined();
      if (p.metadataTopics !== undefined) meta.updated(metadataResponse('t', [1, 2]), t);
      resent = p.requests[0];
      if (resent !== undefined) sender.encode(resent, t);
    }
    expect(resent?.batches).toEqual([lost]);
    expect([lost.attempts, lost.producerEpoch, lost.baseSequence]).toEqual([2, 0, 0]);
    // Its answer resolves it (written): now the bump goes.
    sender.completed(resent!, produceAnswer(resent!), 1000);
    expect(lost.result).toMatchObject({ baseOffset: 0 });
    expect(sender.txn.resetNeeded).toBe(true);
    acc.add(new TestBatch('t', 0, 1000));
    expect(sender.runOnce(1000).initProducerId?.request).toMatchObject({ producerId: 7, producerEpoch: 0 });
  });
});

describe('the sender core: metadata', () => {
  it('asks for metadata once for many partitions waiting on it, not once per batch, and sends when it comes', () => {
    const { sender, acc, meta } = setup('t', [], { idempotent: false, acks: 1 }, false);
    for (let p = 0; p < 10; p++) acc.add(new TestBatch('t', p, 0));
    const plan = sender.runOnce(0);
    expect(plan.metadataTopics).toEqual(['t']);
    expect(meta.updating).toBe(true);
    // While it is under way: no second request, whatever runs meanwhile.
    for (let t = 0; t < 50; t++) {
      const again = sender.runOnce(t);
      expect(again.metadataTopics).toBeUndefined();
      expect(again.awaitMetadata).toBe(true);
    }
    meta.updated(metadataResponse('t', [1, 2, 3, 1, 2, 3, 1, 2, 3, 1]), 50);
    const sent = sender.runOnce(50);
    expect(sent.metadataTopics).toBeUndefined();
    expect(sent.requests.map((r) => [r.node, r.batches.length])).toEqual([
      [1, 4],
      [2, 3],
      [3, 3],
    ]);
  });

  it('backs off between metadata requests in the time it is given: retryBackoffMs after an answer, doubling from the failure after failures', () => {
    const { sender, acc, meta } = setup('t', [], { idempotent: false, acks: 1 }, false);
    acc.add(new TestBatch('t', 0, 0));
    expect(sender.runOnce(0).metadataTopics).toEqual(['t']);
    // No node answered (the request timed out at 30 s): the next request goes 100 ms ±20% after the failure, not at once.
    meta.updateFailed(30_000);
    const waiting = sender.runOnce(30_000);
    expect(waiting.metadataTopics).toBeUndefined();
    expect(waiting.wakeAtMs).toBeGreaterThanOrEqual(30_080);
    expect(waiting.wakeAtMs).toBeLessThanOrEqual(30_120);
    const second = firstTimeWhen(sender, 30_000, 40_000, (p) => p.metadataTopics !== undefined);
    expect(second).toBe(waiting.wakeAtMs);
    meta.updateFailed(second);
    const third = firstTimeWhen(sender, second, second + 10_000, (p) => p.metadataTopics !== undefined);
    expect(third - second).toBeGreaterThanOrEqual(160);
    expect(third - second).toBeLessThanOrEqual(240);
    // An answer without a leader (an election under way): asked again retryBackoffMs after that attempt.
    meta.updated(metadataResponse('t', [-1]), third);
    const fourth = firstTimeWhen(sender, third, third + 10_000, (p) => p.metadataTopics !== undefined);
    expect(fourth - third).toBe(100);
    meta.updated(metadataResponse('t', [2]), fourth);
    expect(sender.runOnce(fourth).requests.map((r) => r.node)).toEqual([2]);
  });

  it('after NOT_LEADER_OR_FOLLOWER, asks for metadata at once and retries to a new leader it names without the rest of the backoff (KIP-951)', () => {
    const { sender, acc, meta } = setup('t', [1], { idempotent: false, acks: 1 });
    const b = new TestBatch('t', 0, 0);
    acc.add(b);
    const plan = sender.runOnce(200);
    sender.completed(plan.requests[0]!, produceAnswer(plan.requests[0]!, 'NOT_LEADER_OR_FOLLOWER'), 201);
    expect(meta.isStale(201)).toBe(true);
    // The metadata is asked for in the backoff (100 ms ±20%), the batch is not sent yet.
    const next = sender.runOnce(201);
    expect(next.metadataTopics).toEqual(['t']);
    expect(next.requests).toEqual([]);
    expect(next.wakeAtMs).toBeGreaterThanOrEqual(281);
    expect(b.attempts).toBe(1);
    // The answer names a new leader (epoch 1 > 0): the retry goes now, to it.
    meta.updated(metadataResponse('t', [3], 1), 210);
    const resent = sender.runOnce(210);
    expect(resent.requests.map((r) => r.node)).toEqual([3]);
    expect(b.leaderEpoch).toBe(1);
  });

  it('a retry whose leader did not change waits out its backoff, with fresh metadata', () => {
    const { sender, acc, meta } = setup('t', [1], { idempotent: false, acks: 1 });
    const b = new TestBatch('t', 0, 0);
    acc.add(b);
    const plan = sender.runOnce(200);
    sender.completed(plan.requests[0]!, produceAnswer(plan.requests[0]!, 'NOT_LEADER_OR_FOLLOWER'), 201);
    expect(sender.runOnce(201).metadataTopics).toEqual(['t']);
    // Same leader, same epoch: nothing before the backoff (100 ms ±20%), the retry after it.
    meta.updated(metadataResponse('t', [1], 0), 210);
    const asked = firstTimeWhen(sender, 210, 2000, (p) => p.requests.length > 0);
    expect(asked).toBeGreaterThanOrEqual(281);
    expect(b.attempts).toBe(2);
  });

  it('a retry whose backoff grew while the leader was down goes as soon as the new leader is known, not up to retryBackoffMaxMs later', () => {
    const { sender, acc, meta } = setup('t', [1], { idempotent: false, acks: 1, retryBackoffMs: 100, retryBackoffMaxMs: 1000 });
    const b = new TestBatch('t', 0, 0);
    acc.add(b);
    let now = 0;
    // Four attempts to the dead leader, each refused: the backoff grows to 800 ms and more.
    for (let attempt = 1; attempt <= 4; attempt++) {
      // Each metadata answer still names the dead node 1 (the controller has not fenced it yet).
      let sent = sender.runOnce(now);
      while (sent.requests.length === 0) {
        if (sent.metadataTopics !== undefined) meta.updated(metadataResponse('t', [1], 0), now);
        sent = sender.runOnce(++now);
      }
      sender.completed(sent.requests[0]!, produceAnswer(sent.requests[0]!, 'NOT_LEADER_OR_FOLLOWER'), ++now);
    }
    expect(b.attempts).toBe(4);
    expect(b.retryAtMs - now).toBeGreaterThan(500);
    // The election is over: the next metadata answer (asked for within retryBackoffMs,
    // long before the batch's retry is due) names node 2 at epoch 1, and the batch goes then.
    const asked = firstTimeWhen(sender, now, now + 200, (p) => p.metadataTopics !== undefined);
    expect(asked).toBeGreaterThanOrEqual(now);
    expect(asked).toBeLessThan(b.retryAtMs - 300);
    meta.updated(metadataResponse('t', [2], 1), asked + 1);
    expect(sender.runOnce(asked + 1).requests.map((r) => r.node)).toEqual([2]);
    expect(b.attempts).toBe(5);
  });

  it('with fresh metadata and still no leader, looks again retryBackoffMs later rather than at once', () => {
    const { sender, acc, meta } = setup('t', [-1], { idempotent: false, acks: 1 });
    // A fresh answer that said "no leader" makes the data stale: let it be fresh for this case.
    meta.beginUpdate(1000);
    meta.updated({ ...metadataResponse('t', [1]), topics: [] } as MetadataResponse, 1000);
    expect(meta.isStale(1000)).toBe(false);
    expect(meta.leader('t', 0)).toBeUndefined();
    acc.add(new TestBatch('t', 0, 1000));
    const plan = sender.runOnce(1000);
    expect(plan.metadataTopics).toBeUndefined();
    expect(plan.wakeAtMs).toBe(1100);
  });
});
