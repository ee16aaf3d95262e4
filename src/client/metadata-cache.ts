/**
 * The client's view of where each partition lives: Kafka's client-side `Metadata`.
 */
import { ApiKey } from '../protocol/api-keys.js';
import type { MetadataResponse } from '../protocol/cluster.js';
import type { Transport } from '../transport/transport.js';
import { startTimer, stopTimer, type Clock, type ClockTimer } from '../util/clock.js';
import type { ErrorCode } from '../util/error-codes.js';
import { TributaryError, isTributaryError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';
import { validateTopicName } from '../util/topic-name.js';
import { backoffMs, delay, isStaleMetadataError, withTimeout } from './retry.js';

/** One partition as the last Metadata response described it. */
export interface PartitionInfo {
  readonly partition: number;
  /** The leader's node id, or -1 while there is none. */
  readonly leaderId: number;
  readonly leaderEpoch: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  readonly errorCode: ErrorCode;
}

/** One topic: its partitions, dense by index (`partitions[p].partition === p`). */
export interface TopicInfo {
  readonly name: string;
  readonly partitions: readonly PartitionInfo[];
}

/** Settings of a {@link MetadataCache}. */
export interface MetadataCacheOptions {
  /** `metadata.max.age.ms`: data older than this is refreshed on the next lookup. */
  readonly metadataMaxAgeMs: number;
  /** `retry.backoff.ms`: the least time between two refreshes, doubling while they fail. */
  readonly retryBackoffMs: number;
  readonly retryBackoffMaxMs: number;
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
  private readonly topics = new Map<string, TopicInfo>();
  /** The error the last response gave for a wanted topic that it did not describe. */
  private readonly topicErrors = new Map<string, ErrorCode>();
  private readonly wanted = new Set<string>();
  private brokers: number[] = [];
  private nextNode = 0;
  private refreshedMs = -Infinity;
  private attemptMs = -Infinity;
  private failures = 0;
  private stale = true;
  private inflight: Promise<boolean> | undefined;
  /** Refreshes that reached the cluster (for tests and monitoring). */
  refreshCount = 0;

  constructor(
    private readonly transport: Transport,
    private readonly options: MetadataCacheOptions,
    private readonly clock: Clock,
    private readonly rng: Rng,
  ) {}

  /**
   * The cached topic, or undefined; from now on every refresh asks for it. Schedules a
   * refresh when the data is older than `metadataMaxAgeMs`.
   */
  topic(name: string): TopicInfo | undefined {
    this.want(name);
    if (this.refreshCount > 0 && this.clock.monotonic() - this.refreshedMs > this.options.metadataMaxAgeMs && this.inflight === undefined) {
      this.stale = true;
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
    const p = this.topics.get(topic)?.partitions[partition];
    return p === undefined || p.leaderId < 0 ? undefined : p;
  }

  /** Every node id the last response named (sorted), or the bootstrap nodes before one. */
  nodes(): readonly number[] {
    return this.brokers.length > 0 ? this.brokers : this.transport.bootstrapNodes();
  }

  /** Adds a topic to those every refresh asks about. */
  want(topic: string): void {
    if (!this.wanted.has(topic)) {
      // A name the cluster would refuse never joins the refresh set: one bad call must not
      // make every later refresh fail (INVALID_TOPIC_EXCEPTION here, at the call).
      validateTopicName(topic);
      this.wanted.add(topic);
      this.stale = true;
      // A topic never asked about is asked about at once, not after the backoff (Kafka's
      // requestUpdateForNewTopics): the backoff is for asking again about the same thing.
      this.newTopics = true;
    }
  }
  private newTopics = false;

  /** Marks the cache stale after an error, when the error says it may be. */
  invalidate(code: ErrorCode): void {
    if (isStaleMetadataError(code)) this.stale = true;
  }

  /** Whether the next `refresh()` will ask the cluster. */
  get isStale(): boolean {
    return this.stale || this.clock.monotonic() - this.refreshedMs > this.options.metadataMaxAgeMs;
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
    const p = this.doRefresh().finally(() => {
      this.inflight = undefined;
    });
    this.inflight = p;
    return p;
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
    for (let refreshed = false; ; refreshed = true) {
      const known = this.topics.get(name);
      if (known !== undefined && known.partitions.length > 0) return known;
      const error = this.topicErrors.get(name);
      if (refreshed && error === 'UNKNOWN_TOPIC_OR_PARTITION' && ++unknownAnswers >= (options.unknownAfterRefreshes ?? Infinity)) {
        throw new TributaryError(error, `topic "${name}" does not exist (the cluster answered UNKNOWN_TOPIC_OR_PARTITION ${unknownAnswers} times)`, { topic: name });
      }
      if (error !== undefined && error !== 'UNKNOWN_TOPIC_OR_PARTITION' && error !== 'LEADER_NOT_AVAILABLE' && !isRetriableTopicError(error)) {
        throw new TributaryError(error, `topic "${name}": ${error}`, { topic: name });
      }
      const now = this.clock.monotonic();
      if (now >= deadlineMs) {
        throw new TributaryError(error ?? 'UNKNOWN_TOPIC_OR_PARTITION', `topic "${name}" not present in metadata after ${Math.round(now - started)} ms`, { topic: name });
      }
      this.stale = true;
      try {
        await withDeadline(this.refresh().then(() => undefined), deadlineMs - now, this.clock);
      } catch (err) {
        if (!isTributaryError(err) || !err.retriable) throw err;
      }
    }
  }

  private async doRefresh(): Promise<boolean> {
    const backoff = this.failures > 0 ? backoffMs(this.failures - 1, this.options.retryBackoffMs, this.options.retryBackoffMaxMs, this.rng) : this.newTopics ? 0 : this.options.retryBackoffMs;
    const wait = this.attemptMs + backoff - this.clock.monotonic();
    if (wait > 0) await delay(wait, this.clock);
    this.newTopics = false;
    this.attemptMs = this.clock.monotonic();
    this.stale = false;
    const nodes = this.candidateNodes();
    let lastError: unknown = new TributaryError('NETWORK_EXCEPTION', 'no node to ask for metadata');
    for (const node of nodes) {
      try {
        const response = await withTimeout(
          this.transport.send(node, {
            apiKey: ApiKey.Metadata,
            topics: [...this.wanted].map((name) => ({ name })),
            allowAutoTopicCreation: this.options.allowAutoTopicCreation ?? false,
          }),
          this.options.requestTimeoutMs,
          `Metadata request to node ${node}`,
          this.clock,
        );
        this.refreshCount++;
        this.apply(response);
        this.failures = 0;
        return true;
      } catch (err) {
        if (!isTributaryError(err) || !err.retriable) throw err;
        lastError = err;
      }
    }
    this.failures++;
    this.stale = true;
    throw lastError;
  }

  /** Known brokers in turn (so one dead node is not asked first every time), then the bootstrap nodes. */
  private candidateNodes(): number[] {
    const out: number[] = [];
    const n = this.brokers.length;
    for (let i = 0; i < n; i++) out.push(this.brokers[(this.nextNode + i) % n]!);
    this.nextNode = n === 0 ? 0 : (this.nextNode + 1) % n;
    for (const b of this.transport.bootstrapNodes()) if (!out.includes(b)) out.push(b);
    return out;
  }

  private apply(response: MetadataResponse): void {
    this.refreshedMs = this.clock.monotonic();
    if (response.brokers.length > 0) this.brokers = response.brokers.map((b) => b.nodeId).sort((a, b) => a - b);
    let needsRefresh = false;
    for (const t of response.topics) {
      if (t.name === null) continue;
      if (t.errorCode !== 'NONE') {
        this.topicErrors.set(t.name, t.errorCode);
        // A topic the cache knows that one node calls unknown is most likely a node behind
        // the controller (just restarted): keep what we know and ask again after the
        // backoff. A topic never seen stays unknown until a refresh finds it. Either way a
        // retriable topic error makes the cache stale, or a client waiting on it would
        // wait for metadata.max.age.ms.
        if (isRetriableTopicError(t.errorCode)) needsRefresh = true;
        continue;
      }
      this.topicErrors.delete(t.name);
      const old = this.topics.get(t.name);
      const sorted = [...t.partitions].sort((a, b) => a.partitionIndex - b.partitionIndex);
      const partitions: PartitionInfo[] = [];
      for (let i = 0; i < sorted.length; i++) {
        const p = sorted[i]!;
        if (p.partitionIndex !== i) break; // a gap: keep the dense prefix only
        const cached = old?.partitions[i];
        if (cached !== undefined && p.leaderEpoch < cached.leaderEpoch) {
          // A node behind the controller: keep what we know is newer.
          partitions.push(cached);
          continue;
        }
        if (p.leaderId < 0) needsRefresh = true;
        partitions.push({ partition: i, leaderId: p.leaderId, leaderEpoch: p.leaderEpoch, replicas: p.replicaNodes, isr: p.isrNodes, errorCode: p.errorCode });
      }
      this.topics.set(t.name, { name: t.name, partitions });
    }
    // A partition without a leader (an election under way): ask again after the backoff.
    if (needsRefresh) this.stale = true;
  }
}

function isRetriableTopicError(code: ErrorCode): boolean {
  return code === 'UNKNOWN_TOPIC_OR_PARTITION' || code === 'LEADER_NOT_AVAILABLE' || code === 'REQUEST_TIMED_OUT' || code === 'NOT_LEADER_OR_FOLLOWER';
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
