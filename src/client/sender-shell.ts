/**
 * The sender's shell (the I/O half of Kafka's `Sender` and its `NetworkClient`): runs the
 * sender core (`sender.ts`) when there may be work, and does what it returns. It owns the
 * one microtask that batches a turn's sends, the wake-up timer (linger, retry backoff),
 * compression, the Produce requests through the transport with their request timeout, the
 * metadata refresh, and the InitProducerId exchange. Every timer is the clock's
 * (`startTimer`), so a simulated clock runs the real producer in its own time.
 */
import { ApiKey } from '../protocol/api-keys.js';
import type { Transport } from '../transport/transport.js';
import { startTimer, stopTimer, type Clock, type ClockTimer } from '../util/clock.js';
import { TributaryError, isTributaryError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';
import type { MetadataCache } from './metadata-cache.js';
import type { ResolvedProducerOptions } from './options.js';
import { backoffMs, delay, isRetriable, withTimeout } from './retry.js';
import type { RecordAccumulator } from './accumulator.js';
import { Sender, type ProduceRequestPlan } from './sender.js';

export class SenderShell {
  private runScheduled = false;
  private wakeTimer: ClockTimer | undefined;
  private wakeAtMs = Infinity;
  private readonly runFn = (): void => this.run();
  private readonly timerFn = (): void => {
    this.wakeTimer = undefined;
    this.wakeAtMs = Infinity;
    this.run();
  };

  /** The decisions: what to send, what an answer means. */
  readonly core: Sender;

  constructor(
    accumulator: RecordAccumulator,
    private readonly transport: Transport,
    private readonly metadata: MetadataCache,
    private readonly options: ResolvedProducerOptions,
    private readonly clock: Clock,
    private readonly rng: Rng,
  ) {
    this.core = new Sender(accumulator, metadata, options, rng);
  }

  /** Runs the core on the next microtask: records sent in the same turn share batches. */
  wake(): void {
    if (this.runScheduled) return;
    this.runScheduled = true;
    queueMicrotask(this.runFn);
  }

  /** Stops the wake-up timer (the producer closed and flushed). */
  stop(): void {
    stopTimer(this.clock, this.wakeTimer);
    this.wakeTimer = undefined;
    this.wakeAtMs = Infinity;
  }

  private wakeAt(atMs: number): void {
    if (atMs >= this.wakeAtMs) return;
    stopTimer(this.clock, this.wakeTimer);
    this.wakeAtMs = atMs;
    this.wakeTimer = startTimer(this.clock, atMs - this.clock.monotonic(), this.timerFn);
  }

  private run(): void {
    this.runScheduled = false;
    const now = this.clock.monotonic();
    const plan = this.core.runOnce(now);
    if (plan.initProducerId !== undefined) this.initProducerId(plan.initProducerId.bump);
    if (plan.needMetadata) {
      const o = this.options;
      this.metadata.refresh().then(
        // Run again at once only if the refresh asked the cluster; a cache that was fresh
        // and still has no leader waits a backoff (running again at once would chain
        // microtasks forever and starve the event loop).
        (asked) => (asked ? this.wake() : this.wakeAt(this.clock.monotonic() + o.retryBackoffMs)),
        () => this.wakeAt(this.clock.monotonic() + o.retryBackoffMs),
      );
    }
    if (plan.wakeAtMs !== Infinity) this.wakeAt(plan.wakeAtMs);
    const requests = plan.requests;
    if (requests.length === 0) return;
    if (plan.compress.length === 0) {
      for (const r of requests) this.send(r, now);
      return;
    }
    const codec = this.options.compression;
    Promise.all(plan.compress.map((b) => b.closeCompressed(codec))).then(
      () => {
        const at = this.clock.monotonic();
        for (const r of requests) this.send(r, at);
      },
      (err: unknown) => {
        const at = this.clock.monotonic();
        for (const r of requests) this.core.requestFailed(r, err, false, at);
        this.wake();
      },
    );
  }

  private send(r: ProduceRequestPlan, now: number): void {
    const request = this.core.encode(r, now);
    withTimeout(this.transport.send(r.node, request), this.options.requestTimeoutMs, `Produce request to node ${r.node}`, this.clock).then(
      (response) => {
        this.core.completed(r, response, this.clock.monotonic());
        this.wake();
      },
      (err: unknown) => {
        this.core.requestFailed(r, err, true, this.clock.monotonic());
        this.wake();
      },
    );
  }

  /** Gets a producer id (and epoch) with InitProducerId, again (`bump`) after a sequence was lost; retried with backoff. */
  private initProducerId(bump: boolean): void {
    const o = this.options;
    const core = this.core;
    const attempt = async (): Promise<{ producerId: number; producerEpoch: number }> => {
      for (let attempts = 0; ; attempts++) {
        const nodes = this.metadata.nodes();
        const node = nodes[attempts % Math.max(1, nodes.length)];
        try {
          if (node === undefined) throw new TributaryError('NETWORK_EXCEPTION', 'no node to ask for a producer id');
          const response = await withTimeout(
            this.transport.send(node, { apiKey: ApiKey.InitProducerId, transactionalId: null, transactionTimeoutMs: 60_000, producerId: bump ? core.txn.producerId : -1, producerEpoch: bump ? core.txn.producerEpoch : -1 }),
            o.requestTimeoutMs,
            `InitProducerId request to node ${node}`,
            this.clock,
          );
          if (response.errorCode === 'NONE') return response;
          if (!isRetriable(response.errorCode)) throw new TributaryError(response.errorCode, `InitProducerId failed: ${response.errorCode}`);
        } catch (err) {
          if (!isTributaryError(err) || !err.retriable) throw err;
          if (core.closedAndIdle()) throw err;
        }
        core.expireWaiting(this.clock.monotonic());
        await delay(backoffMs(attempts, o.retryBackoffMs, o.retryBackoffMaxMs, this.rng), this.clock);
      }
    };
    attempt().then(
      (id) => {
        core.producerIdAssigned(id.producerId, id.producerEpoch, bump);
        this.wake();
      },
      // The cluster refused to give a producer id: nothing can be sent idempotently.
      (err: unknown) => core.producerIdRefused(isTributaryError(err) ? err : new TributaryError('UNKNOWN_SERVER_ERROR', String(err))),
    );
  }
}
