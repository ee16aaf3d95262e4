/**
 * The producer's sender (Kafka's `Sender`): drains the accumulator's ready batches into
 * Produce requests, one per leader node with at most one batch per partition, at most
 * `maxInFlight` requests per partition; hands answers back to the batches in order,
 * retries what can be retried, and expires what waited past its delivery timeout.
 */
import { ApiKey } from '../protocol/api-keys.js';
import type { PartitionProduceResponse, ProduceRequest, ProduceResponse, TopicProduceData } from '../protocol/produce.js';
import type { Transport } from '../transport/transport.js';
import type { Clock } from '../util/clock.js';
import type { ErrorCode } from '../util/error-codes.js';
import { TributaryError, isTributaryError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';
import type { PartitionQueue, RecordAccumulator } from './accumulator.js';
import { ProducerCounts } from './client-metrics.js';
import type { MetadataCache } from './metadata-cache.js';
import type { ResolvedProducerOptions } from './options.js';
import type { ProducerBatch } from './producer-batch.js';
import { backoffMs, isRetriable, isStaleMetadataError, withTimeout } from './retry.js';
import { TransactionManager, type IdempotenceHost } from './transaction-manager.js';

/** What a drain decided to send to one node: one batch per partition, at most `maxRequestSize` bytes. */
interface Request {
  readonly node: number;
  readonly batches: ProducerBatch[];
  bytes: number;
  sentAtMs?: number;
}

export class Sender implements IdempotenceHost {
  readonly counts = new ProducerCounts();
  /** Produce requests sent and not yet answered. */
  requestsInFlight = 0;
  /** `flush` calls under way: batches go without lingering. */
  flushing = 0;
  /** The producer refuses new sends. */
  closed = false;
  private readonly txn: TransactionManager;
  private sendOrder = 0;
  private drainScheduled = false;
  private wakeTimer: ReturnType<typeof setTimeout> | undefined;
  private wakeAtMs = Infinity;
  private readonly drainFn = (): void => this.drain();
  private readonly ready: Set<PartitionQueue>;

  constructor(
    private readonly accumulator: RecordAccumulator,
    private readonly transport: Transport,
    private readonly metadata: MetadataCache,
    private readonly options: ResolvedProducerOptions,
    private readonly clock: Clock,
    private readonly rng: Rng,
  ) {
    this.ready = accumulator.ready;
    this.txn = new TransactionManager(transport, metadata, options, rng, this);
  }

  /** Stops the linger timer (the producer closed and flushed). */
  stop(): void {
    if (this.wakeTimer !== undefined) clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
  }

  closedAndIdle(): boolean {
    return this.closed && this.accumulator.incomplete.size === 0;
  }

  queues(): Iterable<PartitionQueue> {
    return this.accumulator.queues();
  }

  failWaiting(error: TributaryError): void {
    for (const q of [...this.ready]) {
      while (q.size > 0) {
        const b = q.shift();
        if (b.state === 'open') q.pending.push(b);
        b.result = { error };
      }
      this.ready.delete(q);
      this.settle(q);
    }
  }

  /** Schedules a drain on the next microtask: records sent in the same turn share batches. */
  wake(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    queueMicrotask(this.drainFn);
  }

  private wakeAt(atMs: number): void {
    if (atMs >= this.wakeAtMs) return;
    if (this.wakeTimer !== undefined) clearTimeout(this.wakeTimer);
    this.wakeAtMs = atMs;
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = undefined;
      this.wakeAtMs = Infinity;
      this.drain();
    }, Math.max(0, atMs - this.clock.monotonic()));
  }

  /**
   * Moves sendable batches into Produce requests, one batch per partition per request (as
   * Kafka's clients do, and as the broker requires of an idempotent producer), up to
   * `maxInFlight` requests per partition, grouped by leader.
   */
  private drain(): void {
    this.drainScheduled = false;
    if (this.ready.size === 0) return;
    const o = this.options;
    // An epoch bump waits until no request is in flight and no partition's next batch is
    // unresolved (may have been written: `TransactionManager.isUnresolved`); until then only
    // those batches are sent, as they are, so that none is numbered again and written twice.
    const bumping = o.idempotent && this.txn.resetNeeded;
    // Expire first: an unresolved batch past its delivery timeout fails, and no longer holds the bump.
    if (bumping) this.expireWaiting();
    if (o.idempotent && (this.txn.producerId < 0 || this.txn.initializing || (bumping && this.requestsInFlight === 0 && !this.unresolvedHead()))) {
      this.txn.initProducerId();
      this.expireWaiting();
      return;
    }
    const now = this.clock.monotonic();
    let wakeAt = Infinity;
    let needMetadata = false;
    const requests: Request[] = [];
    const byNode = new Map<number, Request[]>();
    const compress: Promise<void>[] = [];
    for (const q of this.ready) {
      let slot = 0;
      while (q.size > 0) {
        const limit = q.retries > 0 ? 1 : o.maxInFlight;
        if (q.inFlight >= limit) break;
        const b = q.peek()!;
        if (now - b.createdMs >= o.deliveryTimeoutMs) {
          q.shift();
          if (b.attempts > 0) q.retries--;
          this.expire(q, b, now);
          continue;
        }
        if (bumping && !this.txn.isUnresolved(b)) break;
        if (b.state === 'open' && !b.full && o.lingerMs > 0 && this.flushing === 0 && now - b.createdMs < o.lingerMs) {
          wakeAt = Math.min(wakeAt, b.createdMs + o.lingerMs);
          break;
        }
        if (b.retryAtMs > now) {
          wakeAt = Math.min(wakeAt, b.retryAtMs);
          break;
        }
        // A retry after a stale-metadata error waits for the refresh it asked for, or it
        // would go straight back to the node that just said it does not lead.
        const leader = b.awaitingMetadata && this.metadata.isStale ? undefined : this.metadata.leader(q.topic, q.partition);
        if (leader === undefined) {
          needMetadata = true;
          wakeAt = Math.min(wakeAt, b.createdMs + o.deliveryTimeoutMs);
          break;
        }
        q.shift();
        if (b.attempts > 0) q.retries--;
        q.inFlight++;
        if (b.state === 'open') {
          b.sendOrder = this.sendOrder++;
          q.pending.push(b);
          q.lastBatchBytes = b.pos;
          if (o.compression === 'none') b.close();
          else compress.push(b.closeCompressed(o.compression));
        }
        b.state = 'in-flight';
        b.attempts++;
        b.leaderEpoch = leader.leaderEpoch;
        // Find (or open) the request for this node at this slot: a partition's k-th batch
        // goes into the node's k-th request, so each request holds one batch per partition.
        let list = byNode.get(leader.leaderId);
        if (list === undefined) byNode.set(leader.leaderId, (list = []));
        // A request past `slot` holds no batch of this partition yet: this drain put the
        // partition's earlier batches into requests before `slot`, and every request is
        // new in this drain. (Checking each candidate's batches instead made a drain over
        // 1,000 partitions a million comparisons.)
        let req: Request | undefined;
        for (let k = slot; k < list.length; k++) {
          const candidate = list[k]!;
          if (candidate.bytes + b.capacity <= o.maxRequestSize) {
            req = candidate;
            slot = k + 1;
            break;
          }
        }
        if (req === undefined) {
          req = { node: leader.leaderId, batches: [], bytes: 0 };
          list.push(req);
          requests.push(req);
          slot = list.length;
        }
        req.batches.push(b);
        req.bytes += b.pos;
      }
      if (q.size === 0) this.ready.delete(q);
    }
    if (needMetadata) {
      this.metadata.refresh().then(
        // Drain again at once only if the refresh asked the cluster; a cache that was
        // fresh and still has no leader waits a backoff (draining again at once would
        // chain microtasks forever and starve the event loop).
        (asked) => (asked ? this.wake() : this.wakeAt(this.clock.monotonic() + o.retryBackoffMs)),
        () => this.wakeAt(this.clock.monotonic() + o.retryBackoffMs),
      );
    }
    if (wakeAt !== Infinity) this.wakeAt(wakeAt);
    if (requests.length === 0) return;
    if (compress.length === 0) {
      for (const r of requests) this.sendRequest(r);
    } else {
      Promise.all(compress).then(
        () => {
          for (const r of requests) this.sendRequest(r);
        },
        (err: unknown) => {
          for (const r of requests) this.requestFailed(r, err, false);
        },
      );
    }
  }

  private sendRequest(r: Request): void {
    const o = this.options;
    const topicData: TopicProduceData[] = [];
    // By name: a request over thousands of topics must not search the list per batch.
    const byTopic = new Map<string, TopicProduceData>();
    for (const b of r.batches) {
      if (o.idempotent) this.txn.stamp(b, this.accumulator.queueFor(b));
      b.writeCrc();
      let t = byTopic.get(b.topic);
      if (t === undefined) {
        t = { name: b.topic, partitionData: [] };
        byTopic.set(b.topic, t);
        topicData.push(t);
      }
      (t.partitionData as { index: number; records: Uint8Array | null }[]).push({ index: b.partition, records: b.bytes! });
    }
    const request: ProduceRequest = { apiKey: ApiKey.Produce, transactionalId: null, acks: o.acks, timeoutMs: o.requestTimeoutMs, topicData };
    this.requestsInFlight++;
    r.sentAtMs = performance.now();
    withTimeout(this.transport.send(r.node, request), o.requestTimeoutMs, `Produce request to node ${r.node}`).then(
      (response) => this.handleResponse(r, response),
      (err: unknown) => this.requestFailed(r, err, true),
    );
  }

  private handleResponse(r: Request, response: ProduceResponse): void {
    this.requestsInFlight--;
    this.counts.latency.record(performance.now() - r.sentAtMs!);
    const answers = answersByPartition(response);
    for (const b of r.batches) {
      const p = answers.get(b.topic)?.get(b.partition);
      if (p === undefined) {
        if (this.options.acks === 0) this.succeed(b, -1, -1);
        else this.failed(b, 'UNKNOWN_SERVER_ERROR', 'the response did not answer for this partition', false);
        continue;
      }
      if (p.errorCode === 'NONE' || p.errorCode === 'DUPLICATE_SEQUENCE_NUMBER') this.succeed(b, this.options.acks === 0 ? -1 : p.baseOffset, p.logAppendTimeMs);
      else this.failed(b, p.errorCode, p.errorMessage ?? undefined, false);
    }
    this.wake();
  }

  private requestFailed(r: Request, err: unknown, sent: boolean): void {
    if (sent) this.requestsInFlight--;
    const code: ErrorCode = isTributaryError(err) ? err.code : 'UNKNOWN_SERVER_ERROR';
    if (!isTributaryError(err) && sent) {
      // Not a TributaryError: a bug in a transport. Fail the records rather than retry forever.
      for (const b of r.batches) this.failed(b, 'UNKNOWN_SERVER_ERROR', String(err), false);
    } else {
      for (const b of r.batches) this.failed(b, code, isTributaryError(err) ? err.message : String(err), sent);
    }
    this.wake();
  }

  private succeed(b: ProducerBatch, baseOffset: number, logAppendTime: number): void {
    const q = this.accumulator.queueFor(b);
    q.inFlight--;
    this.counts.sent(b.recordCount, b.bytes?.length ?? 0);
    b.result = { baseOffset, logAppendTime };
    this.settle(q);
  }

  /**
   * A batch's attempt failed with `code`. Retriable errors send it back to the front of its
   * queue (after a backoff) until its delivery timeout; OUT_OF_ORDER_SEQUENCE_NUMBER is
   * retriable when an earlier batch of the partition is unanswered or failed (the broker
   * is waiting for that batch's sequence); otherwise the batch fails.
   */
  private failed(b: ProducerBatch, code: ErrorCode, message: string | undefined, unknownOutcome: boolean): void {
    const q = this.accumulator.queueFor(b);
    q.inFlight--;
    this.counts.errors++;
    this.metadata.invalidate(code);
    const now = this.clock.monotonic();
    const o = this.options;
    if (o.idempotent) this.txn.attemptFailed(b, code);
    let retriable = isRetriable(code);
    if (o.idempotent && (code === 'OUT_OF_ORDER_SEQUENCE_NUMBER' || code === 'UNKNOWN_PRODUCER_ID')) {
      const earlier = q.pending.indexOf(b) > 0;
      const stale = this.txn.isStale(b);
      if (earlier || stale) {
        retriable = true;
      } else {
        // The broker lost this producer's sequence (a leader that lost data): this batch
        // fails and the rest start over under a new epoch.
        this.txn.resetNeeded = true;
      }
    }
    b.storageError = code === 'KAFKA_STORAGE_ERROR' ? (message ?? code) : undefined;
    if (retriable && now - b.createdMs < o.deliveryTimeoutMs) {
      b.outcomeUnknown ||= unknownOutcome;
      b.awaitingMetadata = isStaleMetadataError(code);
      b.state = 'retry';
      b.retryAtMs = now + backoffMs(b.attempts - 1, o.retryBackoffMs, o.retryBackoffMaxMs, this.rng);
      q.requeue(b);
      this.ready.add(q);
      return;
    }
    if (o.idempotent && b.baseSequence >= 0 && (retriable || unknownOutcome || code !== 'NONE')) {
      // A sequence number that will never be written: later batches need a new epoch.
      this.txn.resetNeeded = true;
    }
    const why = retriable ? `${message ?? code} (gave up after ${now - b.createdMs} ms, deliveryTimeoutMs ${o.deliveryTimeoutMs})` : (message ?? errorMessageOf(code));
    b.result = { error: new TributaryError(retriable && code !== 'KAFKA_STORAGE_ERROR' ? 'REQUEST_TIMED_OUT' : code, `${b.topic}-${b.partition}: ${why}`, { topic: b.topic, partition: b.partition }) };
    this.settle(q);
  }

  /** A batch that waited too long to be sent at all: `REQUEST_TIMED_OUT`, or `KAFKA_STORAGE_ERROR` if its last attempt failed on storage (a full disk says so). */
  private expire(q: PartitionQueue, b: ProducerBatch, now: number): void {
    if (b.state === 'open') {
      b.state = 'closed';
      q.pending.push(b);
    }
    if (this.options.idempotent && b.baseSequence >= 0) this.txn.resetNeeded = true;
    const why = b.storageError !== undefined ? `: the last attempt failed: ${b.storageError}` : '';
    b.result = { error: new TributaryError(b.storageError !== undefined ? 'KAFKA_STORAGE_ERROR' : 'REQUEST_TIMED_OUT', `expiring ${b.recordCount} record(s) for ${b.topic}-${b.partition}: ${now - b.createdMs} ms has passed since batch creation (deliveryTimeoutMs ${this.options.deliveryTimeoutMs})${why}`, { topic: b.topic, partition: b.partition }) };
    this.settle(q);
  }

  /** Whether some partition's next batch is unresolved (see `TransactionManager.isUnresolved`). */
  private unresolvedHead(): boolean {
    for (const q of this.ready) {
      const b = q.peek();
      if (b !== undefined && this.txn.isUnresolved(b)) return true;
    }
    return false;
  }

  /** Expires batches while the producer waits for its id (a cluster that does not answer). */
  expireWaiting(): void {
    const now = this.clock.monotonic();
    for (const q of this.ready) {
      while (q.size > 0 && q.inFlight === 0 && now - q.peek()!.createdMs >= this.options.deliveryTimeoutMs) {
        const b = q.shift();
        if (b.attempts > 0) q.retries--;
        this.expire(q, b, now);
      }
      if (q.size === 0) this.ready.delete(q);
    }
  }

  /** Finishes the partition's batches that have answers, in order: a later batch waits for an earlier retry. */
  private settle(q: PartitionQueue): void {
    const pending = q.pending;
    let n = 0;
    while (n < pending.length && pending[n]!.result !== undefined) n++;
    if (n === 0) return;
    const done = pending.splice(0, n);
    for (const b of done) {
      this.accumulator.deallocate(b);
      b.finish();
    }
  }
}

/**
 * A response's answers by topic and partition, looked up once per batch. (Searching the
 * response for each batch made an answer over 1,000 partitions a million comparisons: 7%
 * of a keyed producer's CPU over 10,000 partitions.) A partition answered twice keeps its
 * last answer, as the search did.
 */
function answersByPartition(response: ProduceResponse): Map<string, Map<number, PartitionProduceResponse>> {
  const answers = new Map<string, Map<number, PartitionProduceResponse>>();
  for (const t of response.responses) {
    let byIndex = answers.get(t.name);
    if (byIndex === undefined) answers.set(t.name, (byIndex = new Map()));
    for (const x of t.partitionResponses) byIndex.set(x.index, x);
  }
  return answers;
}

function errorMessageOf(code: ErrorCode): string {
  return new TributaryError(code).message;
}
