/**
 * A small, faithful in-memory Kafka cluster for client tests: Produce, Fetch, ListOffsets,
 * Metadata and InitProducerId with Kafka's semantics, over one `MemoryLog` per partition,
 * with faults to inject.
 *
 * The model: every partition has one log, shared by all nodes, as if replication were
 * instant, and one leader (node id and leader epoch). Only the leader serves Produce,
 * Fetch and ListOffsets for it; any other node answers NOT_LEADER_OR_FOLLOWER. Moving the
 * leader bumps the epoch, so a fetch naming the old epoch is FENCED_LEADER_EPOCH.
 * Idempotence is the broker's own core (`ProducerState`): duplicates get their original
 * offsets, gaps are OUT_OF_ORDER_SEQUENCE_NUMBER. Fetch long-polls: it answers as soon as
 * `minBytes` are readable or `maxWaitMs` passes.
 *
 * Faults (`inject`) match by API and node and apply a given number of times, at most one
 * fault per request, in the order injected: a partition
 * error instead of handling; a network error before the request is handled (nothing
 * happened) or after (it happened, the answer was lost); a delayed answer (requests to a node are still handled in the order sent); a duplicated request
 * (handled twice, the client gets the second answer).
 */
import { ApiKey } from '../../src/protocol/api-keys.js';
import type { MetadataRequest, MetadataResponse } from '../../src/protocol/cluster.js';
import type { FetchRequest, FetchResponse, FetchTopicResponse, ListOffsetsRequest, ListOffsetsResponse } from '../../src/protocol/fetch.js';
import type { InitProducerIdRequest, InitProducerIdResponse, ProduceRequest, ProduceResponse, TopicProduceResponse } from '../../src/protocol/produce.js';
import type { Request, ResponseFor } from '../../src/protocol/requests.js';
import { checkBatch, decodeBatches, iterateBatches, type BatchHeader, type DecodedRecord } from '../../src/record/index.js';
import { ProducerState } from '../../src/broker/core/producer-state.js';
import { MemoryLog } from '../../src/storage/memory-log.js';
import type { LogConfig } from '../../src/storage/log.js';
import type { Transport } from '../../src/transport/transport.js';
import { startTimer, stopTimer, systemClock, type Clock } from '../../src/util/clock.js';
import type { ErrorCode } from '../../src/util/error-codes.js';
import { TributaryError, isTributaryError } from '../../src/util/errors.js';

export type FakeApi = 'Produce' | 'Fetch' | 'ListOffsets' | 'Metadata' | 'InitProducerId';

const apiNames: Record<number, FakeApi> = {
  [ApiKey.Produce]: 'Produce',
  [ApiKey.Fetch]: 'Fetch',
  [ApiKey.ListOffsets]: 'ListOffsets',
  [ApiKey.Metadata]: 'Metadata',
  [ApiKey.InitProducerId]: 'InitProducerId',
};

/** A fault to inject; it matches requests of `api` (any if absent) to `node` (any if absent), `times` times (default 1). */
export type Fault = { api?: FakeApi; node?: number; times?: number } & (
  | { kind: 'error'; code: ErrorCode; topic?: string; partition?: number }
  | { kind: 'network-error'; after?: boolean }
  | { kind: 'delay'; ms: number }
  | { kind: 'duplicate' }
);

interface PartitionState {
  readonly log: MemoryLog;
  readonly producers: ProducerState;
  leader: number;
  leaderEpoch: number;
  /** Woken on every append (long-polling fetches). */
  waiters: (() => void)[];
}

export interface FakeClusterOptions {
  /** Node ids; default [1]. */
  readonly nodes?: readonly number[];
  /** Topics to create: name -> partition count. */
  readonly topics?: Readonly<Record<string, number>>;
  readonly clock?: Clock;
  readonly logConfig?: Partial<LogConfig>;
}

/** Counters a test can assert on. */
export interface FakeStats {
  /** Requests received, by API. */
  readonly requests: Record<FakeApi, number>;
  /** Fetches being held (long-polling) or handled right now, and the most at once. */
  fetchesOutstanding: number;
  fetchesOutstandingMax: number;
  /** Bytes of records returned by fetches. */
  fetchedBytes: number;
}

export class FakeCluster implements Transport {
  readonly clock: Clock;
  private readonly nodeIds: number[];
  private readonly down = new Set<number>();
  private readonly partitions = new Map<string, PartitionState[]>();
  private faults: Fault[] = [];
  private nextProducerId = 1000;
  private readonly logConfig: Partial<LogConfig>;
  readonly stats: FakeStats = {
    requests: { Produce: 0, Fetch: 0, ListOffsets: 0, Metadata: 0, InitProducerId: 0 },
    fetchesOutstanding: 0,
    fetchesOutstandingMax: 0,
    fetchedBytes: 0,
  };

  constructor(options: FakeClusterOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.nodeIds = [...(options.nodes ?? [1])];
    this.logConfig = options.logConfig ?? {};
    for (const [name, count] of Object.entries(options.topics ?? {})) this.createTopic(name, count);
  }

  // ------------------------------------------------------------------ administration

  /** Creates a topic; partition p is led by node `nodes[p % nodes.length]` at epoch 0. */
  createTopic(name: string, partitions: number): void {
    const states: PartitionState[] = [];
    for (let p = 0; p < partitions; p++) {
      states.push({
        log: new MemoryLog({ topic: name, partition: p, config: this.logConfig, clock: this.clock }),
        producers: new ProducerState(),
        leader: this.nodeIds[p % this.nodeIds.length]!,
        leaderEpoch: 0,
        waiters: [],
      });
    }
    this.partitions.set(name, states);
  }

  deleteTopic(name: string): void {
    this.partitions.delete(name);
  }

  /** Moves a partition's leadership to `node` (-1: no leader), bumping the leader epoch. */
  moveLeader(topic: string, partition: number, node: number): void {
    const p = this.partition(topic, partition);
    p.leader = node;
    p.leaderEpoch++;
    this.wakeFetches(p);
  }

  leaderOf(topic: string, partition: number): { leader: number; leaderEpoch: number } {
    const p = this.partition(topic, partition);
    return { leader: p.leader, leaderEpoch: p.leaderEpoch };
  }

  /** Makes a node unreachable (its requests fail with NETWORK_EXCEPTION) or reachable again. */
  setNodeDown(node: number, down: boolean): void {
    if (down) this.down.add(node);
    else this.down.delete(node);
  }

  inject(fault: Fault): void {
    this.faults.push({ ...fault, times: fault.times ?? 1 });
  }

  clearFaults(): void {
    this.faults = [];
  }

  log(topic: string, partition: number): MemoryLog {
    return this.partition(topic, partition).log;
  }

  /** Every record of a partition, in offset order. */
  async records(topic: string, partition: number): Promise<DecodedRecord[]> {
    const log = this.log(topic, partition);
    const out: DecodedRecord[] = [];
    let offset = log.logStartOffset;
    while (offset < log.logEndOffset) {
      const { records } = log.read(offset, { maxBytes: 64 * 1024 * 1024 });
      const decoded = await decodeBatches(records);
      for (const r of decoded) if (r.offset >= offset) out.push(r);
      let last = offset;
      for (const b of iterateBatches(records)) last = b.header.baseOffset + b.header.lastOffsetDelta + 1;
      offset = last;
    }
    return out;
  }

  /** Appends batches as a leader would (for consumer tests that need data without a producer). */
  append(topic: string, partition: number, batches: Uint8Array): void {
    const p = this.partition(topic, partition);
    p.log.write(batches, { assignOffsets: true, leaderEpoch: p.leaderEpoch });
    this.wakeFetches(p);
  }

  private partition(topic: string, partition: number): PartitionState {
    const p = this.partitions.get(topic)?.[partition];
    if (p === undefined) throw new Error(`no partition ${topic}-${partition}`);
    return p;
  }

  // ------------------------------------------------------------------------ transport

  async close(): Promise<void> {}

  bootstrapNodes(): readonly number[] {
    return this.nodeIds;
  }

  async send<R extends Request>(nodeId: number, request: R): Promise<ResponseFor<R>> {
    await Promise.resolve();
    const api = apiNames[request.apiKey];
    if (api === undefined) throw new TributaryError('UNSUPPORTED_VERSION', `the fake broker does not speak API ${request.apiKey}`);
    this.stats.requests[api]++;
    if (this.down.has(nodeId) || !this.nodeIds.includes(nodeId)) throw new TributaryError('NETWORK_EXCEPTION', `node ${nodeId} is not reachable`);
    const matching = this.takeFaults(api, nodeId);
    let errorFault: Extract<Fault, { kind: 'error' }> | undefined;
    let duplicate = false;
    let lostAfter = false;
    let delayMs = 0;
    for (const f of matching) {
      if (f.kind === 'network-error' && f.after !== true) throw new TributaryError('NETWORK_EXCEPTION', `injected: node ${nodeId} dropped the ${api} request`);
      if (f.kind === 'network-error') lostAfter = true;
      if (f.kind === 'delay') delayMs += f.ms;
      if (f.kind === 'duplicate') duplicate = true;
      if (f.kind === 'error') errorFault = f;
    }
    // Requests to one node are handled in the order they were sent, as over one TCP
    // connection; a delay holds the answer, not the handling.
    let response = await this.handle(nodeId, request, errorFault);
    if (duplicate) response = await this.handle(nodeId, request, undefined);
    if (delayMs > 0) await new Promise((resolve) => startTimer(this.clock, delayMs, () => resolve(undefined)));
    if (lostAfter) throw new TributaryError('NETWORK_EXCEPTION', `injected: node ${nodeId} lost the answer to the ${api} request`);
    return response as ResponseFor<R>;
  }

  /** The first injected fault that matches (one per request, so faults injected in a row hit requests in a row). */
  private takeFaults(api: FakeApi, node: number): Fault[] {
    const out: Fault[] = [];
    for (const f of this.faults) {
      if ((f.api === undefined || f.api === api) && (f.node === undefined || f.node === node) && f.times! > 0) {
        (f as { times: number }).times--;
        out.push(f);
        break;
      }
    }
    this.faults = this.faults.filter((f) => f.times! > 0);
    return out;
  }

  private async handle(node: number, request: Request, fault: Extract<Fault, { kind: 'error' }> | undefined): Promise<unknown> {
    switch (request.apiKey) {
      case ApiKey.Produce:
        return this.produce(node, request, fault);
      case ApiKey.Fetch:
        return this.fetch(node, request, fault);
      case ApiKey.ListOffsets:
        return this.listOffsets(node, request, fault);
      case ApiKey.Metadata:
        return this.metadata(request);
      case ApiKey.InitProducerId:
        return this.initProducerId(request);
      default:
        throw new TributaryError('UNSUPPORTED_VERSION', `API ${request.apiKey}`);
    }
  }

  private faultFor(fault: Extract<Fault, { kind: 'error' }> | undefined, topic: string, partition: number): ErrorCode | undefined {
    if (fault === undefined) return undefined;
    if (fault.topic !== undefined && fault.topic !== topic) return undefined;
    if (fault.partition !== undefined && fault.partition !== partition) return undefined;
    return fault.code;
  }

  private produce(node: number, request: ProduceRequest, fault: Extract<Fault, { kind: 'error' }> | undefined): ProduceResponse {
    const responses: TopicProduceResponse[] = [];
    for (const t of request.topicData) {
      const partitionResponses = t.partitionData.map((pd) => {
        const fail = (errorCode: ErrorCode, errorMessage: string | null = null) => ({ index: pd.index, errorCode, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1, errorMessage });
        const injected = this.faultFor(fault, t.name, pd.index);
        if (injected !== undefined) return fail(injected, 'injected');
        const p = this.partitions.get(t.name)?.[pd.index];
        if (p === undefined) return fail('UNKNOWN_TOPIC_OR_PARTITION');
        if (p.leader !== node) return fail('NOT_LEADER_OR_FOLLOWER');
        if (request.acks !== 0 && request.acks !== 1 && request.acks !== -1) return fail('INVALID_REQUIRED_ACKS');
        const bytes = pd.records;
        if (bytes === null || bytes.length === 0) return fail('INVALID_REQUEST');
        const headers: BatchHeader[] = [];
        for (let pos = 0; pos < bytes.length; ) {
          const check = checkBatch(bytes, pos, bytes.length);
          if (!check.ok) return fail('CORRUPT_MESSAGE', check.problem);
          headers.push(iterateBatches(bytes, pos, pos + check.size).next().value!.header);
          pos += check.size;
        }
        if (headers.length > 1 && headers.some((h) => h.producerId >= 0)) return fail('INVALID_REQUEST', 'one batch per partition from an idempotent producer');
        const h = headers[0]!;
        const batch = { producerId: h.producerId, producerEpoch: h.producerEpoch, baseSequence: h.baseSequence, offsetCount: h.lastOffsetDelta + 1 };
        const check = p.producers.check(batch);
        if (check.kind === 'error') return fail(check.code, check.message);
        if (check.kind === 'duplicate') return { index: pd.index, errorCode: 'NONE' as ErrorCode, baseOffset: check.firstOffset, logAppendTimeMs: -1, logStartOffset: p.log.logStartOffset };
        let info;
        try {
          info = p.log.write(bytes, { assignOffsets: true, leaderEpoch: p.leaderEpoch, now: this.clock.now() });
        } catch (err) {
          if (isTributaryError(err)) return fail(err.code, err.message);
          throw err;
        }
        let offset = info.firstOffset;
        for (const hh of headers) {
          const count = hh.lastOffsetDelta + 1;
          p.producers.apply({ producerId: hh.producerId, producerEpoch: hh.producerEpoch, baseSequence: hh.baseSequence, offsetCount: count }, offset, offset + count - 1, hh.maxTimestamp);
          offset += count;
        }
        this.wakeFetches(p);
        if (request.acks === 0) return { index: pd.index, errorCode: 'NONE' as ErrorCode, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1 };
        return { index: pd.index, errorCode: 'NONE' as ErrorCode, baseOffset: info.firstOffset, logAppendTimeMs: info.logAppendTime, logStartOffset: info.logStartOffset };
      });
      responses.push({ name: t.name, partitionResponses });
    }
    return { apiKey: ApiKey.Produce, responses };
  }

  private wakeFetches(p: PartitionState): void {
    const waiters = p.waiters;
    p.waiters = [];
    for (const w of waiters) w();
  }

  private async fetch(node: number, request: FetchRequest, fault: Extract<Fault, { kind: 'error' }> | undefined): Promise<FetchResponse> {
    this.stats.fetchesOutstanding++;
    this.stats.fetchesOutstandingMax = Math.max(this.stats.fetchesOutstandingMax, this.stats.fetchesOutstanding);
    try {
      const deadline = this.clock.monotonic() + request.maxWaitMs;
      for (;;) {
        const { response, bytes, errors } = this.readFetch(node, request, fault);
        const remaining = deadline - this.clock.monotonic();
        if (bytes >= request.minBytes || errors || remaining <= 0) {
          this.stats.fetchedBytes += bytes;
          return response;
        }
        // Long poll: wait for an append to one of the partitions, or the deadline.
        await new Promise<void>((resolve) => {
          // The clock's timer: a simulation (test/sim/client-sim.ts) runs long polls in its time.
          const timer = startTimer(this.clock, remaining, resolve);
          const wake = (): void => {
            stopTimer(this.clock, timer);
            resolve();
          };
          for (const t of request.topics) for (const fp of t.partitions) this.partitions.get(t.topic)?.[fp.partition]?.waiters.push(wake);
        });
      }
    } finally {
      this.stats.fetchesOutstanding--;
    }
  }

  private readFetch(node: number, request: FetchRequest, fault: Extract<Fault, { kind: 'error' }> | undefined): { response: FetchResponse; bytes: number; errors: boolean } {
    let total = 0;
    let errors = false;
    const responses: FetchTopicResponse[] = [];
    for (const t of request.topics) {
      const partitions = t.partitions.map((fp) => {
        const base = { partitionIndex: fp.partition, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, abortedTransactions: null, preferredReadReplica: -1, records: null };
        const fail = (errorCode: ErrorCode) => {
          errors = true;
          return { ...base, errorCode };
        };
        const injected = this.faultFor(fault, t.topic, fp.partition);
        if (injected !== undefined) return fail(injected);
        const p = this.partitions.get(t.topic)?.[fp.partition];
        if (p === undefined) return fail('UNKNOWN_TOPIC_OR_PARTITION');
        if (p.leader !== node) return fail('NOT_LEADER_OR_FOLLOWER');
        const epoch = fp.currentLeaderEpoch ?? -1;
        if (epoch >= 0 && epoch < p.leaderEpoch) return fail('FENCED_LEADER_EPOCH');
        if (epoch > p.leaderEpoch) return fail('UNKNOWN_LEADER_EPOCH');
        const log = p.log;
        const hw = log.logEndOffset;
        if (fp.fetchOffset < log.logStartOffset || fp.fetchOffset > hw) return { ...fail('OFFSET_OUT_OF_RANGE'), highWatermark: hw, logStartOffset: log.logStartOffset };
        let records: Uint8Array | null = null;
        if (fp.fetchOffset < hw && (total < request.maxBytes || total === 0)) {
          const maxBytes = Math.max(1, Math.min(fp.partitionMaxBytes, request.maxBytes - total));
          records = log.read(fp.fetchOffset, { maxBytes, maxOffset: hw }).records;
          total += records.length;
        }
        return { ...base, errorCode: 'NONE' as ErrorCode, highWatermark: hw, lastStableOffset: hw, logStartOffset: log.logStartOffset, records };
      });
      responses.push({ topic: t.topic, partitions });
    }
    return { response: { apiKey: ApiKey.Fetch, errorCode: 'NONE', sessionId: 0, responses }, bytes: total, errors };
  }

  private async listOffsets(node: number, request: ListOffsetsRequest, fault: Extract<Fault, { kind: 'error' }> | undefined): Promise<ListOffsetsResponse> {
    const topics = [];
    for (const t of request.topics) {
      const partitions = [];
      for (const lp of t.partitions) {
        const fail = (errorCode: ErrorCode) => ({ partitionIndex: lp.partitionIndex, errorCode, timestamp: -1, offset: -1, leaderEpoch: -1 });
        const injected = this.faultFor(fault, t.name, lp.partitionIndex);
        const p = this.partitions.get(t.name)?.[lp.partitionIndex];
        if (injected !== undefined) partitions.push(fail(injected));
        else if (p === undefined) partitions.push(fail('UNKNOWN_TOPIC_OR_PARTITION'));
        else if (p.leader !== node) partitions.push(fail('NOT_LEADER_OR_FOLLOWER'));
        else if ((lp.currentLeaderEpoch ?? -1) >= 0 && lp.currentLeaderEpoch! < p.leaderEpoch) partitions.push(fail('FENCED_LEADER_EPOCH'));
        else if (lp.timestamp === -1) partitions.push({ partitionIndex: lp.partitionIndex, errorCode: 'NONE' as ErrorCode, timestamp: -1, offset: p.log.logEndOffset, leaderEpoch: p.leaderEpoch });
        else if (lp.timestamp === -2) partitions.push({ partitionIndex: lp.partitionIndex, errorCode: 'NONE' as ErrorCode, timestamp: -1, offset: p.log.logStartOffset, leaderEpoch: p.leaderEpoch });
        else {
          const found = await p.log.offsetForTimestamp(lp.timestamp);
          partitions.push({ partitionIndex: lp.partitionIndex, errorCode: 'NONE' as ErrorCode, timestamp: found?.timestamp ?? -1, offset: found?.offset ?? -1, leaderEpoch: p.leaderEpoch });
        }
      }
      topics.push({ name: t.name, partitions });
    }
    return { apiKey: ApiKey.ListOffsets, topics };
  }

  private metadata(request: MetadataRequest): MetadataResponse {
    const names = request.topics === null ? [...this.partitions.keys()] : request.topics.map((t) => t.name ?? '');
    const up = this.nodeIds.filter((n) => !this.down.has(n));
    return {
      apiKey: ApiKey.Metadata,
      brokers: up.map((nodeId) => ({ nodeId, host: 'localhost', port: 9092 + nodeId, rack: null })),
      clusterId: 'fake',
      controllerId: up[0] ?? -1,
      topics: names.map((name) => {
        const states = this.partitions.get(name);
        const topicId = '00000000-0000-0000-0000-000000000000' as never;
        if (states === undefined) return { errorCode: 'UNKNOWN_TOPIC_OR_PARTITION' as ErrorCode, name, topicId, isInternal: false, partitions: [], topicAuthorizedOperations: -2147483648 };
        return {
          errorCode: 'NONE' as ErrorCode,
          name,
          topicId,
          isInternal: false,
          partitions: states.map((p, i) => ({
            errorCode: (p.leader < 0 ? 'LEADER_NOT_AVAILABLE' : 'NONE') as ErrorCode,
            partitionIndex: i,
            leaderId: p.leader,
            leaderEpoch: p.leaderEpoch,
            replicaNodes: this.nodeIds,
            isrNodes: this.nodeIds,
            offlineReplicas: [],
          })),
          topicAuthorizedOperations: -2147483648,
        };
      }),
    };
  }

  private initProducerId(request: InitProducerIdRequest): InitProducerIdResponse {
    if ((request.producerId ?? -1) >= 0 && (request.producerEpoch ?? -1) >= 0) {
      return { apiKey: ApiKey.InitProducerId, errorCode: 'NONE', producerId: request.producerId!, producerEpoch: request.producerEpoch! + 1 };
    }
    return { apiKey: ApiKey.InitProducerId, errorCode: 'NONE', producerId: this.nextProducerId++, producerEpoch: 0 };
  }
}
