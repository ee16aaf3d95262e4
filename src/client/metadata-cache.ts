/**
 * The client's view of where each partition lives: the shell of Kafka's client-side
 * `Metadata`. The data and the decisions (when to ask, the backoff, the age) are the core's
 * (`core/metadata.ts`); this class sends the Metadata requests through the transport,
 * waits with the clock, and gives the clients that wait on promises (`waitForTopic`,
 * `refresh`) their promises.
 */
import { ApiKey } from '../protocol/api-keys.js';
import type { Transport } from '../transport/transport.js';
import { startTimer, stopTimer, type Clock, type ClockTimer } from '../util/clock.js';
import type { ErrorCode } from '../util/error-codes.js';
import { TributaryError, isTributaryError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';
import { ClientMetadata, isRetriableTopicError, type ClientMetadataOptions, type PartitionInfo, type TopicInfo } from './core/metadata.js';
import { delay, withTimeout } from './retry.js';

export type { PartitionInfo, TopicInfo } from './core/metadata.js';

/** Settings of a {@link MetadataCache}. */
export interface MetadataCacheOptions extends ClientMetadataOptions {
  /** How long one Metadata request may take. */
  readonly requestTimeoutMs: number;
  /**
   * Whether the Metadata requests let the broker create the topics they name that do not
   * exist (when the broker's `auto.create.topics.enable` allows). The producer's do.
   */
  readonly allowAutoTopicCreation?: boolean;
}

/**
 * Topic -> partitions -> leader and leader epoch, learned from Metadata requests.
 *
 * Contract:
 * - Lookups (`topic`, `leader`) are synchronous and answer from the cache; a client that
 *   needs a topic it has not seen awaits `waitForTopic`.
 * - A refresh asks for every topic the client has asked about, in one request, of one
 *   node: the nodes the last response named first, the transport's bootstrap nodes when
 *   those fail. Concurrent refreshes share one request. Two refreshes are at least
 *   `retryBackoffMs` apart (doubling, to `retryBackoffMaxMs`, while they fail), so a burst
 *   of NOT_LEADER_OR_FOLLOWER answers costs one Metadata request, not one each.
 * - `invalidate(code)` after a request failed with a stale-metadata error (NOT_LEADER_OR_FOLLOWER,
 *   LEADER_NOT_AVAILABLE, UNKNOWN_TOPIC_OR_PARTITION, FENCED_LEADER_EPOCH, NETWORK_EXCEPTION...)
 *   marks the cache stale; the next `refresh()` goes to the cluster.
 * - Data older than `metadataMaxAgeMs` counts as stale too.
 * - A response that names an older leader epoch for a partition than the cache holds (a
 *   node that has not caught up) does not overwrite it, as Kafka's client does.
 */
export class MetadataCache {
  /** The decisions and the data (Kafka's `Metadata`): this class only sends its requests and waits. */
  readonly state: ClientMetadata;
  /** The state's topics, read directly by the producer's per-send lookup. */
  private readonly topics: Map<string, TopicInfo>;
  private inflight: Promise<boolean> | undefined;

  constructor(
    private readonly transport: Transport,
    private readonly options: MetadataCacheOptions,
    private readonly clock: Clock,
    rng: Rng,
  ) {
    this.state = new ClientMetadata(options, rng);
    this.topics = this.state.topics;
  }

  /** Updates that reached the cluster (for tests and monitoring). */
  get refreshCount(): number {
    return this.state.refreshCount;
  }

  /**
   * The cached topic, or undefined; from now on every refresh asks for it. Schedules a
   * refresh when the data is older than `metadataMaxAgeMs`.
   */
  topic(name: string): TopicInfo | undefined {
    this.state.want(name);
    if (this.inflight === undefined && this.state.expired(this.clock.monotonic())) {
      this.state.requestUpdate();
      void this.refresh().catch(() => undefined);
    }
    return this.topics.get(name);
  }

  /** Whether a `topicInRun` of the current synchronous run already checked the age. */
  private agedChecked = false;
  private readonly agedUnchecked = (): void => {
    this.agedChecked = false;
  };

  /**
   * `topic` for the producer's `send`: the age of the data is checked (a clock reading)
   * once per synchronous run of lookups, not once a lookup. Why: a loop of 1,000
   * single-record sends read the monotonic clock 1,000 times, 60 to 150 ns each on this
   * machine (a tenth of a send's CPU) to learn 1,000 times that five-minute-old data is not
   * five minutes old. Data that aged during one synchronous run is refreshed at the next
   * run's first lookup.
   */
  topicInRun(name: string): TopicInfo | undefined {
    if (!this.agedChecked) {
      this.agedChecked = true;
      queueMicrotask(this.agedUnchecked);
      return this.topic(name);
    }
    const info = this.topics.get(name);
    return info === undefined ? this.topic(name) : info;
  }

  /** The cached leader of a partition, or undefined when unknown or leaderless. */
  leader(topic: string, partition: number): PartitionInfo | undefined {
    return this.state.leader(topic, partition);
  }

  /** Every node id the last response named (sorted), or the bootstrap nodes before one. */
  nodes(): readonly number[] {
    return this.state.nodes(this.transport.bootstrapNodes());
  }

  /** Adds a topic to those every refresh asks about. */
  want(topic: string): void {
    this.state.want(topic);
  }

  /** Marks the cache stale after an error, when the error says it may be. */
  invalidate(code: ErrorCode): void {
    this.state.invalidate(code);
  }

  /** Whether the next `refresh()` will ask the cluster. */
  get isStale(): boolean {
    return this.state.isStale(this.clock.monotonic());
  }

  /**
   * Refreshes the wanted topics if the cache is stale (waiting out the backoff since the
   * last attempt first); shares a refresh already under way. Resolves true when it asked
   * the cluster, false when the cache was fresh and nothing was asked (a caller that finds
   * no leader in a fresh cache must then wait a backoff, not look again at once). Rejects
   * only when no node answered (`NETWORK_EXCEPTION` or `REQUEST_TIMED_OUT`).
   */
  refresh(): Promise<boolean> {
    if (this.inflight !== undefined) return this.inflight;
    if (!this.isStale) return Promise.resolve(false);
    this.state.updating = true;
    return this.track(this.waitAndAsk());
  }

  /**
   * Sends an update the state began (`ClientMetadata.beginUpdate`, from the producer's
   * sender core, which waited out the backoff itself). Resolves true once a node answered;
   * rejects as `refresh` does.
   */
  update(topics: readonly string[]): Promise<boolean> {
    return this.track(this.ask(topics));
  }

  /** The refresh under way, if any: resolves (never rejects) when it is over. */
  whenUpdated(): Promise<void> | undefined {
    return this.inflight?.then(
      () => undefined,
      () => undefined,
    );
  }

  private track(p: Promise<boolean>): Promise<boolean> {
    const tracked = p.finally(() => {
      if (this.inflight === tracked) this.inflight = undefined;
    });
    this.inflight = tracked;
    return tracked;
  }

  /**
   * The topic's metadata, asking the cluster until it knows the topic with a leader for
   * every partition, or until `deadlineMs` (monotonic) passes. A topic the cluster does
   * not know is retried until then (it may be being created), then rejected with
   * `UNKNOWN_TOPIC_OR_PARTITION`; a non-retriable topic error (an invalid name) rejects at
   * once.
   */
  async waitForTopic(name: string, deadlineMs: number, options: { readonly unknownAfterRefreshes?: number } = {}): Promise<TopicInfo> {
    this.want(name);
    const started = this.clock.monotonic();
    let unknownAnswers = 0;
    /** Why the last refresh got no answer (no node reachable, say), for the error at the deadline. */
    let lastFailure: TributaryError | undefined;
    for (let refreshed = false; ; refreshed = true) {
      const known = this.topics.get(name);
      if (known !== undefined && known.partitions.length > 0) return known;
      const error = this.state.topicErrors.get(name);
      if (refreshed && error === 'UNKNOWN_TOPIC_OR_PARTITION' && ++unknownAnswers >= (options.unknownAfterRefreshes ?? Infinity)) {
        throw new TributaryError(error, `topic "${name}" does not exist (the cluster answered UNKNOWN_TOPIC_OR_PARTITION ${unknownAnswers} times)`, { topic: name });
      }
      if (error !== undefined && error !== 'UNKNOWN_TOPIC_OR_PARTITION' && error !== 'LEADER_NOT_AVAILABLE' && !isRetriableTopicError(error)) {
        throw new TributaryError(error, `topic "${name}": ${error}`, { topic: name });
      }
      const now = this.clock.monotonic();
      if (now >= deadlineMs) {
        const why =
          lastFailure === undefined
            ? 'check its name, or create it first (admin().createTopics); a send creates a missing topic only where the cluster auto-creates topics (autoCreateTopics)'
            : `no node answered the last metadata request (${lastFailure.message}): check that the cluster is running and reachable at the address given`;
        throw new TributaryError(error ?? 'UNKNOWN_TOPIC_OR_PARTITION', `topic "${name}" not present in metadata after ${Math.round(now - started)} ms: ${why}`, { topic: name, cause: lastFailure });
      }
      // A refresh under way answers this wait: marking the cache stale too would make the
      // caller's next `isStale` true and cost a second request a backoff later (a seek
      // right after `assign` waited 100 ms, `retryBackoffMs`, for it).
      if (this.inflight === undefined) this.state.requestUpdate();
      try {
        await withDeadline(
          this.refresh().then(() => {
            lastFailure = undefined;
          }),
          deadlineMs - now,
          this.clock,
        );
      } catch (err) {
        if (!isTributaryError(err) || !err.retriable) throw err;
        lastFailure = err;
      }
    }
  }

  /** Waits until the state allows the next request (the backoff since the last), then asks. */
  private async waitAndAsk(): Promise<boolean> {
    const wait = this.state.updateAllowedAtMs() - this.clock.monotonic();
    if (wait > 0) await delay(wait, this.clock);
    return this.ask(this.state.beginUpdate(this.clock.monotonic()));
  }

  /** Asks the nodes in turn for `topics` until one answers; hands the answer (or the failure) to the state. */
  private async ask(topics: readonly string[]): Promise<boolean> {
    const nodes = this.state.candidateNodes(this.transport.bootstrapNodes());
    let lastError: unknown = new TributaryError('NETWORK_EXCEPTION', 'no node to ask for metadata');
    for (const node of nodes) {
      try {
        const response = await withTimeout(
          this.transport.send(node, {
            apiKey: ApiKey.Metadata,
            topics: topics.map((name) => ({ name })),
            allowAutoTopicCreation: this.options.allowAutoTopicCreation ?? false,
          }),
          this.options.requestTimeoutMs,
          `Metadata request to node ${node}`,
          this.clock,
        );
        this.state.updated(response, this.clock.monotonic());
        return true;
      } catch (err) {
        if (!isTributaryError(err) || !err.retriable) {
          this.state.updating = false;
          throw err;
        }
        lastError = err;
      }
    }
    this.state.updateFailed(this.clock.monotonic());
    throw lastError;
  }
}

/** Waits for `p` at most `ms`; resolves (without its value) either way, or rejects with its error. */
async function withDeadline(p: Promise<void>, ms: number, clock: Clock): Promise<void> {
  let timer: ClockTimer | undefined;
  try {
    await Promise.race([p, new Promise<void>((resolve) => { timer = startTimer(clock, ms, resolve); })]);
  } finally {
    stopTimer(clock, timer);
  }
}
