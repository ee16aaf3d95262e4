/**
 * The sender's shell (the I/O half of Kafka's `Sender` and its `NetworkClient`): runs the
 * sender core (`core/sender.ts`) when there may be work, and does what it returns. It owns
 * the one microtask that batches a turn's sends, the wake-up timer (linger, retry and
 * metadata backoff), compression, and the requests through the transport with their
 * request timeout: Produce, InitProducerId (to the nodes in turn, as `NetworkClient`'s
 * least loaded node would be) and Metadata (through `MetadataCache`). It decides nothing:
 * when to ask for a producer id or metadata, and how long to back off, is the core's.
 * Every timer is the clock's (`startTimer`), so a simulated clock runs the real producer
 * in its own time.
 */
import type { Transport } from '../transport/transport.js';
import { startTimer, stopTimer, type Clock, type ClockTimer } from '../util/clock.js';
import { TributaryError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';
import type { MetadataCache } from './metadata-cache.js';
import type { ResolvedProducerOptions } from './options.js';
import { withTimeout } from './retry.js';
import type { RecordAccumulator } from './accumulator.js';
import type { ProducerBatch } from './producer-batch.js';
import { Sender, type InitProducerIdSend, type ProduceRequestPlan } from './core/sender.js';

export class SenderShell {
  private runScheduled = false;
  private wakeTimer: ClockTimer | undefined;
  private wakeAtMs = Infinity;
  private readonly runFn = (): void => this.run();
  private readonly runFnWake = (): void => this.wake();
  private readonly timerFnNow = (): void => this.wakeAt(this.clock.monotonic());
  private readonly timerFn = (): void => {
    this.wakeTimer = undefined;
    this.wakeAtMs = Infinity;
    this.run();
  };

  /** The decisions: what to send, what an answer means. */
  readonly core: Sender<ProducerBatch>;

  constructor(
    accumulator: RecordAccumulator,
    private readonly transport: Transport,
    private readonly metadata: MetadataCache,
    private readonly options: ResolvedProducerOptions,
    private readonly clock: Clock,
    private readonly rng: Rng,
  ) {
    this.core = new Sender<ProducerBatch>(accumulator, metadata.state, options, rng);
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
    if (plan.initProducerId !== undefined) this.initProducerId(plan.initProducerId);
    if (plan.metadataTopics !== undefined) {
      // After a failure the core backs off; run it again on a timer, not a microtask (a
      // transport that fails at once would otherwise chain microtasks and starve the loop).
      this.metadata.update(plan.metadataTopics).then(this.runFnWake, this.timerFnNow);
    } else if (plan.awaitMetadata) {
      const under = this.metadata.whenUpdated();
      if (under === undefined) this.timerFnNow();
      else void under.then(this.runFnWake);
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

  private send(r: ProduceRequestPlan<ProducerBatch>, now: number): void {
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

  /** Sends the InitProducerId the core asked for, to the known nodes in turn, and hands the answer back. */
  private initProducerId(send: InitProducerIdSend): void {
    const nodes = this.metadata.nodes();
    const node = nodes[send.attempt % Math.max(1, nodes.length)];
    if (node === undefined) {
      this.core.producerIdFailed(new TributaryError('NETWORK_EXCEPTION', 'no node to ask for a producer id'), this.clock.monotonic());
      this.timerFnNow();
      return;
    }
    withTimeout(this.transport.send(node, send.request), this.options.requestTimeoutMs, `InitProducerId request to node ${node}`, this.clock).then(
      (response) => {
        this.core.producerIdAnswered(response, this.clock.monotonic());
        this.wake();
      },
      (err: unknown) => {
        this.core.producerIdFailed(err, this.clock.monotonic());
        this.timerFnNow();
      },
    );
  }
}
