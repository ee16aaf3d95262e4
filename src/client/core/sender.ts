/**
 * The producer's sender as a core (Kafka's `Sender.sendProducerData` and `completeBatch`,
 * with `RecordAccumulator.drain`, the idempotent part of `TransactionManager` and the
 * metadata timing of `NetworkClient`): it takes time and answers and returns requests. No
 * timers, no transport, no promises. `runOnce(now)` returns a `SendPlan`:
 * - the Produce requests: the accumulator's ready batches, one request per leader node
 *   with at most one batch per partition (`encode(request, now)` numbers and encodes one
 *   for the wire; its answer comes back through `completed` or `requestFailed`, which hand
 *   it to the batches in order, retry what can be retried, and expire what waited past
 *   its delivery timeout);
 * - an InitProducerId (a first producer id, or a new epoch after a lost sequence), whose
 *   answer comes back through `producerIdAnswered` or `producerIdFailed` (retried after a
 *   backoff on a retriable error, fatal to the waiting batches otherwise);
 * - a Metadata request for the wanted topics, when a partition has no known leader or a
 *   batch waits for fresh metadata after NOT_LEADER_OR_FOLLOWER and the like, once the
 *   backoff since the last request allows (one request for every partition waiting);
 *   its answer goes to the shared `ClientMetadata`;
 * - when to run again at the latest (linger, retry backoff, metadata backoff, delivery timeout).
 * `SenderShell` (`../sender-shell.ts`) does the I/O: the transport, the clock's timers and
 * compression.
 */
import { ApiKey } from '../../protocol/api-keys.js';
import type { InitProducerIdRequest, InitProducerIdResponse, PartitionProduceResponse, ProduceRequest, ProduceResponse, TopicProduceData } from '../../protocol/produce.js';
import type { ErrorCode } from '../../util/error-codes.js';
import { TributaryError, isTributaryError } from '../../util/errors.js';
import type { Rng } from '../../util/rng.js';
import { backoffMs, isRetriable, isStaleMetadataError } from './backoff.js';
import type { ClientMetadata } from './metadata.js';
import { ProducerCounts } from './producer-counts.js';
import type { ReadySet, SenderAccumulator, SenderBatch, SenderQueue } from './sender-batch.js';
import { TransactionManager } from './transaction-manager.js';

/** The producer options the sender core decides by (`ResolvedProducerOptions` has them all). */
export interface SenderOptions {
  /** 0, 1 or -1, as the wire carries it. */
  readonly acks: 0 | 1 | -1;
  readonly idempotent: boolean;
  readonly lingerMs: number;
  readonly compression: string;
  readonly maxRequestSize: number;
  readonly deliveryTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly retryBackoffMs: number;
  readonly retryBackoffMaxMs: number;
  readonly maxInFlight: number;
}

/** What a drain decided to send to one node: one batch per partition, at most `maxRequestSize` bytes. */
export interface ProduceRequestPlan<B extends SenderBatch = SenderBatch> {
  readonly node: number;
  readonly batches: B[];
  bytes: number;
  sentAtMs?: number;
}

/** An InitProducerId to send, and which attempt it is (the shell asks the nodes in turn by it). */
export interface InitProducerIdSend {
  readonly request: InitProducerIdRequest;
  readonly attempt: number;
}

/**
 * What `runOnce` wants done. Contract for the shell: first close `compress`'s batches with
 * the producer's compression (they are the open batches of `requests` when compression is
 * on), then `encode` and send each request in order and hand each answer back; send
 * `initProducerId` and hand its answer to `producerIdAnswered` (or the failure to
 * `producerIdFailed`); send a Metadata request for `metadataTopics` and give its answer to
 * the `ClientMetadata` (`updated`, or `updateFailed` when no node answered), then run
 * again; when `awaitMetadata`, run again once the metadata update under way is over; run
 * again at `wakeAtMs` at the latest.
 */
export interface SendPlan<B extends SenderBatch = SenderBatch> {
  readonly requests: ProduceRequestPlan<B>[];
  readonly compress: B[];
  /** Send Metadata for these topics (the core began the update). */
  readonly metadataTopics: readonly string[] | undefined;
  /** A metadata update is under way that batches wait for: run again when it is over. */
  readonly awaitMetadata: boolean;
  /** Send this InitProducerId. */
  readonly initProducerId: InitProducerIdSend | undefined;
  /** When to run again if nothing else happens (Infinity: no need). */
  readonly wakeAtMs: number;
}

/** Shared empty lists (never written to): a run with nothing to compress allocates none. */
const noBatches: never[] = [];
const nothingToDo: SendPlan<never> = { requests: [], compress: noBatches, metadataTopics: undefined, awaitMetadata: false, initProducerId: undefined, wakeAtMs: Infinity };

/** Kafka's producer asks for a transaction timeout it does not use without transactions; the broker checks it against its maximum. */
const transactionTimeoutMs = 60_000;

export class Sender<B extends SenderBatch = SenderBatch> {
  readonly counts = new ProducerCounts();
  /** Produce requests sent and not yet answered. */
  requestsInFlight = 0;
  /** `flush` calls under way: batches go without lingering. */
  flushing = 0;
  /** The producer refuses new sends. */
  closed = false;
  readonly txn = new TransactionManager<B>();
  private sendOrder = 0;
  private readonly ready: ReadySet<SenderQueue<B>>;

  constructor(
    private readonly accumulator: SenderAccumulator<B>,
    private readonly metadata: ClientMetadata,
    private readonly options: SenderOptions,
    private readonly rng: Rng,
  ) {
    this.ready = accumulator.ready;
  }

  /** Whether the producer is closed with nothing left to send (then a producer id is no longer worth waiting for). */
  closedAndIdle(): boolean {
    return this.closed && this.accumulator.incomplete.size === 0;
  }

  /** InitProducerId answered: a new id, a new epoch after a lost sequence (then every partition numbers from 0 again), or an error (retried after a backoff when retriable). */
  producerIdAnswered(response: InitProducerIdResponse, now: number): void {
    const code = response.errorCode;
    if (code === 'NONE') {
      this.txn.assigned(response.producerId, response.producerEpoch, this.accumulator.queues());
      return;
    }
    if (!isRetriable(code)) {
      this.producerIdRefused(new TributaryError(code, `InitProducerId failed: ${code}`));
      return;
    }
    this.producerIdRetry(now);
  }

  /**
   * The InitProducerId request failed as a whole (the transport, its timeout, no node to
   * ask): retried after a backoff when retriable, unless the producer is closed with
   * nothing left to send; otherwise nothing can be sent idempotently.
   */
  producerIdFailed(err: unknown, now: number): void {
    if (!isTributaryError(err)) this.producerIdRefused(new TributaryError('UNKNOWN_SERVER_ERROR', String(err)));
    else if (!err.retriable || this.closedAndIdle()) this.producerIdRefused(err);
    else this.producerIdRetry(now);
  }

  /** Batches that waited past their delivery timeout fail meanwhile; the next attempt goes after a backoff (`runOnce` returns it then). */
  private producerIdRetry(now: number): void {
    this.expireWaiting(now);
    this.txn.initFailed(now, this.options.retryBackoffMs, this.options.retryBackoffMaxMs, this.rng);
  }

  /** The cluster refused a producer id: nothing can be sent idempotently, every waiting batch fails with `error`. */
  private producerIdRefused(error: TributaryError): void {
    this.txn.initRefused(error);
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

  /** The InitProducerId to send now, or when to run again for it (nothing while one is unanswered). */
  private initPlan(now: number): SendPlan<B> {
    const next = this.txn.nextInit(now);
    if (next === undefined) return this.txn.retryPending ? { ...nothingToDo, wakeAtMs: this.txn.initRetryAtMs } : nothingToDo;
    const request: InitProducerIdRequest = { apiKey: ApiKey.InitProducerId, transactionalId: null, transactionTimeoutMs, producerId: next.producerId, producerEpoch: next.producerEpoch };
    return { ...nothingToDo, initProducerId: { request, attempt: next.attempt } };
  }

  /**
   * Moves sendable batches into Produce requests, one batch per partition per request (as
   * Kafka's clients do, and as the broker requires of an idempotent producer), up to
   * `maxInFlight` requests per partition, grouped by leader.
   */
  runOnce(now: number): SendPlan<B> {
    const txn = this.txn;
    // (A failed InitProducerId is retried even when every batch expired meanwhile, as the loop of Kafka's Sender does.)
    if (this.ready.size === 0 && !txn.retryPending) return nothingToDo;
    const o = this.options;
    // An epoch bump waits until no request is in flight and no partition's next batch is
    // unresolved (may have been written: `TransactionManager.isUnresolved`); until then only
    // those batches are sent, as they are, so that none is numbered again and written twice.
    const bumping = o.idempotent && txn.resetNeeded;
    // Expire first: an unresolved batch past its delivery timeout fails, and no longer holds the bump.
    if (bumping) this.expireWaiting(now);
    // No id yet, or one being asked for, or a bump that is due: an InitProducerId first (Kafka's
    // `bumpIdempotentEpochAndResetIdIfNeeded`, then `maybeSendAndPollTransactionalRequest`).
    if (o.idempotent && (txn.state !== 'ready' || (bumping && this.requestsInFlight === 0 && !this.unresolvedHead()))) {
      this.expireWaiting(now);
      if (txn.state !== 'initializing') txn.beginInit(txn.resetNeeded && txn.producerId >= 0);
      return this.initPlan(now);
    }
    let needMetadata = false;
    const requests: ProduceRequestPlan<B>[] = [];
    const byNode = new Map<number, ProduceRequestPlan<B>[]>();
    let compress: B[] | undefined;
    // Lingering queues are parked until their batch is due (ready-queues.ts says why); a
    // flush sends them all. How long a batch may linger: `lingerMs`, never past its
    // delivery timeout.
    const lingerMs = Math.min(o.lingerMs, o.deliveryTimeoutMs);
    const ready = this.ready;
    let wakeAt = ready.wake(now, this.flushing > 0 || lingerMs <= 0);
    for (const q of ready.due()) {
      let slot = 0;
      while (q.size > 0) {
        const limit = q.retries > 0 ? 1 : o.maxInFlight;
        if (q.inFlight >= limit) break;
        const b = q.peek()!;
        // A new batch of an idempotent producer waits while `maxInFlight` batches of its
        // partition are unsettled, counted from the oldest unanswered one, not only those in
        // flight: the broker remembers a producer's last 5 batches, and a retry of a batch
        // whose answer was lost must still be among them to be answered as a duplicate (with
        // answers out of order, later batches could otherwise push it out of that window,
        // and the retry would be written twice). Until the partition's leader has
        // acknowledged a batch under this producer id, one batch at a time (`ackedProducerId`).
        if (b.attempts === 0 && o.idempotent && q.pending.length >= (q.ackedProducerId === txn.producerId ? o.maxInFlight : 1)) break;
        if (now - b.createdMs >= o.deliveryTimeoutMs) {
          q.shift();
          if (b.attempts > 0) q.retries--;
          this.expire(q, b, now);
          continue;
        }
        if (bumping && !txn.isUnresolved(b)) break;
        if (b.state === 'open' && !b.full && lingerMs > 0 && this.flushing === 0 && now - b.createdMs < lingerMs) {
          wakeAt = Math.min(wakeAt, b.createdMs + lingerMs);
          ready.park(q, b.createdMs + lingerMs);
          break;
        }
        if (b.retryAtMs > now && !this.leaderChangedSince(q, b, now)) {
          wakeAt = Math.min(wakeAt, b.retryAtMs);
          // Meanwhile the metadata that may name a new leader is asked for, again while it
          // names the one that refused (an election takes a while): once for every
          // partition waiting on it, at most every `retryBackoffMs` (the metadata's own
          // backoff), until the retry is due.
          if (b.awaitingMetadata && !this.metadata.updating) {
            const allowedAt = this.metadata.updateAllowedAtMs();
            if (allowedAt > now) wakeAt = Math.min(wakeAt, allowedAt);
            else {
              this.metadata.requestUpdate();
              needMetadata = true;
            }
          }
          break;
        }
        // A retry after a stale-metadata error waits for the refresh it asked for, or it
        // would go straight back to the node that just said it does not lead.
        const leader = b.awaitingMetadata && this.metadata.isStale(now) ? undefined : this.metadata.leader(q.topic, q.partition);
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
          else (compress ??= []).push(b);
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
        let req: ProduceRequestPlan<B> | undefined;
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
      if (q.size === 0) ready.delete(q);
    }
    let metadataTopics: readonly string[] | undefined;
    let awaitMetadata = false;
    if (needMetadata) {
      // One Metadata request for every partition waiting on it (Kafka's `Metadata.requestUpdate`
      // with `timeToNextUpdate`): none while one is under way, none before the backoff since
      // the last allows, and none while the data is fresh (no leader in a fresh answer: an
      // election under way, so look again after `retryBackoffMs`).
      const m = this.metadata;
      if (m.updating) awaitMetadata = true;
      else if (!m.isStale(now)) wakeAt = Math.min(wakeAt, now + o.retryBackoffMs);
      else {
        const allowedAt = m.updateAllowedAtMs();
        if (allowedAt > now) wakeAt = Math.min(wakeAt, allowedAt);
        else metadataTopics = m.beginUpdate(now);
      }
    }
    if (requests.length === 0 && !needMetadata && wakeAt === Infinity) return nothingToDo;
    return { requests, compress: compress ?? noBatches, metadataTopics, awaitMetadata, initProducerId: undefined, wakeAtMs: wakeAt };
  }

  /** Numbers (idempotence) and checksums a request's batches, which `compress` closed, and builds the Produce request; counts it in flight. */
  encode(r: ProduceRequestPlan<B>, now: number): ProduceRequest {
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
    this.requestsInFlight++;
    r.sentAtMs = now;
    return { apiKey: ApiKey.Produce, transactionalId: null, acks: o.acks, timeoutMs: o.requestTimeoutMs, topicData };
  }

  /** The answer to a request `encode` built. Run again afterwards: batches may be due. */
  completed(r: ProduceRequestPlan<B>, response: ProduceResponse, now: number): void {
    this.requestsInFlight--;
    this.counts.latency.record(now - r.sentAtMs!);
    // A broker answers in the request's order (Kafka's does, and so does ours): each batch's
    // answer is looked for at its place first (`encode` grouped the batches by topic in the
    // order of their first batch), and by name only when it is not there: a request over
    // 7,000 partitions built a map of 7,000 answers to find each once.
    const order = requestOrder(r.batches);
    const inOrder = answeredInOrder(response, order);
    const answers = inOrder === undefined ? answersByPartition(response) : undefined;
    for (let k = 0; k < order.length; k++) {
      const b = order[k]!;
      const p = inOrder !== undefined ? inOrder[k] : answers!.get(b.topic)?.get(b.partition);
      if (p === undefined) {
        if (this.options.acks === 0) this.succeed(b, -1, -1);
        else this.failed(b, 'UNKNOWN_SERVER_ERROR', 'the response did not answer for this partition', false, now);
        continue;
      }
      if (p.errorCode === 'NONE' || p.errorCode === 'DUPLICATE_SEQUENCE_NUMBER') this.succeed(b, this.options.acks === 0 ? -1 : p.baseOffset, p.logAppendTimeMs);
      else this.failed(b, p.errorCode, p.errorMessage ?? undefined, false, now);
    }
  }

  /**
   * A request failed as a whole: `sent` when `encode` built it and the transport (or the
   * request timeout) failed it, so its outcome is unknown; not sent when compressing its
   * batches failed. Run again afterwards.
   */
  requestFailed(r: ProduceRequestPlan<B>, err: unknown, sent: boolean, now: number): void {
    if (sent) this.requestsInFlight--;
    const code: ErrorCode = isTributaryError(err) ? err.code : 'UNKNOWN_SERVER_ERROR';
    if (!isTributaryError(err) && sent) {
      // Not a TributaryError: a bug in a transport. Fail the records rather than retry forever.
      for (const b of r.batches) this.failed(b, 'UNKNOWN_SERVER_ERROR', String(err), false, now);
    } else {
      for (const b of r.batches) this.failed(b, code, isTributaryError(err) ? err.message : String(err), sent, now);
    }
  }

  private succeed(b: B, baseOffset: number, logAppendTime: number): void {
    const q = this.accumulator.queueFor(b);
    q.inFlight--;
    if (b.producerId >= 0) q.ackedProducerId = b.producerId;
    this.counts.sent(b.recordCount, b.bytes?.length ?? 0);
    b.result = { baseOffset, logAppendTime };
    this.settle(q);
  }

  /**
   * A batch's attempt failed with `code`. Retriable errors send it back to the front of its
   * queue (after a backoff) until its delivery timeout. OUT_OF_ORDER_SEQUENCE_NUMBER and
   * UNKNOWN_PRODUCER_ID are retried too, as Kafka's idempotent producer does
   * (`TransactionManager.canRetry`): when an earlier batch of the partition is unanswered
   * or failed, the broker is waiting for that batch's sequence, and the batch is retried as
   * it is; when it is the partition's first unsettled batch, the broker has lost this
   * producer's sequence (it proved the batch unwritten: a written one would still be in its
   * window of 5 and come back as a duplicate), so the producer bumps its epoch and the
   * batch is numbered again under the new one.
   */
  private failed(b: B, code: ErrorCode, message: string | undefined, unknownOutcome: boolean, now: number): void {
    const q = this.accumulator.queueFor(b);
    q.inFlight--;
    this.counts.errors++;
    this.metadata.invalidate(code);
    const o = this.options;
    if (o.idempotent) this.txn.attemptFailed(b, code);
    let retriable = isRetriable(code);
    if (o.idempotent && (code === 'OUT_OF_ORDER_SEQUENCE_NUMBER' || code === 'UNKNOWN_PRODUCER_ID')) {
      const earlier = q.pending.indexOf(b) > 0;
      const stale = this.txn.isStale(b);
      // The first unsettled batch, under the current epoch: the broker lost this producer's
      // sequence (a leader that lost data). Everything starts over under a new epoch, this
      // batch first.
      if (!earlier && !stale) this.txn.resetNeeded = true;
      retriable = true;
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
  private expire(q: SenderQueue<B>, b: B, now: number): void {
    if (b.state === 'open') {
      b.state = 'closed';
      q.pending.push(b);
    }
    if (this.options.idempotent && b.baseSequence >= 0) this.txn.resetNeeded = true;
    const why = b.storageError !== undefined ? `: the last attempt failed: ${b.storageError}` : '';
    b.result = { error: new TributaryError(b.storageError !== undefined ? 'KAFKA_STORAGE_ERROR' : 'REQUEST_TIMED_OUT', `expiring ${b.recordCount} record(s) for ${b.topic}-${b.partition}: ${now - b.createdMs} ms has passed since batch creation (deliveryTimeoutMs ${this.options.deliveryTimeoutMs})${why}`, { topic: b.topic, partition: b.partition }) };
    this.settle(q);
  }

  /**
   * Whether a retry's partition has a newer leader (by fresh metadata) than the one its
   * last attempt went to: it then goes at once, without the rest of its backoff (Kafka's
   * KIP-951, `ProducerBatch.hasLeaderChangedForTheOngoingRetry`). Why: the backoff grows
   * with every attempt while a leader is down (100, 200, 400, 800 ms...), and a batch whose
   * last attempt came just before the election waited up to `retryBackoffMaxMs` with the
   * new leader known (in the demo, a second of acks=all sends stalled after a failover).
   */
  private leaderChangedSince(q: SenderQueue<B>, b: B, now: number): boolean {
    if (b.attempts === 0 || this.metadata.isStale(now)) return false;
    const leader = this.metadata.leader(q.topic, q.partition);
    return leader !== undefined && leader.leaderEpoch > b.leaderEpoch;
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
  expireWaiting(now: number): void {
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
  private settle(q: SenderQueue<B>): void {
    const pending = q.pending;
    let n = 0;
    while (n < pending.length && pending[n]!.result !== undefined) n++;
    if (n === 0) return;
    if (n === 1) {
      // The common case (a partition's one batch answered): no array for it.
      const b = pending.shift()!;
      this.accumulator.deallocate(b);
      b.finish();
      return;
    }
    const done = pending.splice(0, n);
    for (const b of done) {
      this.accumulator.deallocate(b);
      b.finish();
    }
  }
}

/** A request's batches in the order `encode` put them on the wire: grouped by topic, topics in order of first appearance. */
function requestOrder<B extends SenderBatch>(batches: readonly B[]): readonly B[] {
  const first = batches[0];
  if (first === undefined) return batches;
  let oneTopic = true;
  for (let i = 1; i < batches.length && oneTopic; i++) oneTopic = batches[i]!.topic === first.topic;
  if (oneTopic) return batches;
  const byTopic = new Map<string, B[]>();
  for (const b of batches) {
    const list = byTopic.get(b.topic);
    if (list === undefined) byTopic.set(b.topic, [b]);
    else list.push(b);
  }
  return [...byTopic.values()].flat();
}

/** The response's answers in `order`'s order, if it answers those batches one for one in that order; else undefined. */
function answeredInOrder(response: ProduceResponse, order: readonly SenderBatch[]): PartitionProduceResponse[] | undefined {
  const out = new Array<PartitionProduceResponse>(order.length);
  let k = 0;
  for (const t of response.responses) {
    for (const x of t.partitionResponses) {
      const b = order[k];
      if (b === undefined || b.topic !== t.name || b.partition !== x.index) return undefined;
      out[k++] = x;
    }
  }
  return k === order.length ? out : undefined;
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
