/**
 * The client's view of where each partition lives, and when to ask again: Kafka's
 * client-side `Metadata` (with the timing of `NetworkClient.DefaultMetadataUpdater`), as
 * a core. It holds what the last Metadata responses said and decides when the next
 * request may go (stale data, `metadata.max.age.ms`, the backoff between requests,
 * doubling while they fail); it sends nothing. `MetadataCache` (`../metadata-cache.ts`) is
 * its shell for the clients that wait on promises; the producer's sender core asks it
 * directly and returns "send Metadata for these topics" to its shell.
 *
 * An update's life: `beginUpdate(now)` (the topics to ask about; `updating` until the
 * answer), then `updated(response, now)` or `updateFailed(now)`. Between two updates
 * at least `retryBackoffMs` pass (`updateAllowedAtMs`), or the failure backoff, except
 * for a topic never asked about, which is asked about at once.
 */
import type { MetadataResponse } from '../../protocol/cluster.js';
import type { ErrorCode } from '../../util/error-codes.js';
import type { Rng } from '../../util/rng.js';
import { validateTopicName } from '../../util/topic-name.js';
import { backoffMs, isStaleMetadataError } from './backoff.js';

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

/** The timing settings of {@link ClientMetadata}. */
export interface ClientMetadataOptions {
  /** `metadata.max.age.ms`: data older than this is refreshed on the next lookup. */
  readonly metadataMaxAgeMs: number;
  /** `retry.backoff.ms`: the least time between two requests, doubling while they fail. */
  readonly retryBackoffMs: number;
  readonly retryBackoffMaxMs: number;
}

export class ClientMetadata {
  readonly topics = new Map<string, TopicInfo>();
  /** The error the last response gave for a wanted topic that it did not describe. */
  readonly topicErrors = new Map<string, ErrorCode>();
  private readonly wanted = new Set<string>();
  private brokers: number[] = [];
  private nextNode = 0;
  private refreshedMs = -Infinity;
  private attemptMs = -Infinity;
  private failures = 0;
  /** The backoff after the last failure (drawn when it failed: one draw a failed request). */
  private failureBackoffMs = 0;
  private stale = true;
  /** A topic never asked about is waiting: the next request goes at once (Kafka's `requestUpdateForNewTopics`). */
  private newTopics = false;
  /** An update is under way (or its shell waits to send it): others wait for its answer rather than ask again. */
  updating = false;
  /** Updates that reached the cluster (for tests and monitoring). */
  refreshCount = 0;

  constructor(
    private readonly options: ClientMetadataOptions,
    private readonly rng: Rng,
  ) {}

  /** Adds a topic to those every update asks about. Throws `INVALID_TOPIC_EXCEPTION` for a name the cluster would refuse. */
  want(topic: string): void {
    if (!this.wanted.has(topic)) {
      // A name the cluster would refuse never joins the refresh set: one bad call must not
      // make every later refresh fail (INVALID_TOPIC_EXCEPTION here, at the call).
      validateTopicName(topic);
      this.wanted.add(topic);
      this.stale = true;
      // Asked about at once, not after the backoff: the backoff is for asking again about the same thing.
      this.newTopics = true;
    }
  }

  /** The next `isStale` is true: a client that waits on a topic wants it asked about. */
  requestUpdate(): void {
    this.stale = true;
  }

  /** Marks the data stale after an error, when the error says it may be. */
  invalidate(code: ErrorCode): void {
    if (isStaleMetadataError(code)) this.stale = true;
  }

  /** Whether the next update should ask the cluster: an error or a new topic said so, or the data is older than `metadataMaxAgeMs`. */
  isStale(now: number): boolean {
    return this.stale || now - this.refreshedMs > this.options.metadataMaxAgeMs;
  }

  /** Whether data the cluster gave has aged past `metadataMaxAgeMs` (a lookup then asks for an update). */
  expired(now: number): boolean {
    return this.refreshCount > 0 && now - this.refreshedMs > this.options.metadataMaxAgeMs;
  }

  /**
   * The earliest time the next request may go (Kafka's `timeToAllowUpdate`): the last
   * attempt (or failure) plus the backoff, which is `retryBackoffMs`, the failure backoff (doubling from
   * `retryBackoffMs` to `retryBackoffMaxMs`, ±20%) while requests fail, or nothing for a
   * topic never asked about.
   */
  updateAllowedAtMs(): number {
    const backoff = this.failures > 0 ? this.failureBackoffMs : this.newTopics ? 0 : this.options.retryBackoffMs;
    return this.attemptMs + backoff;
  }

  /** An update starts now: the topics to ask about. Its answer goes to `updated` or `updateFailed`. */
  beginUpdate(now: number): string[] {
    this.newTopics = false;
    this.attemptMs = now;
    this.stale = false;
    this.updating = true;
    return [...this.wanted];
  }

  /**
   * The nodes to ask, in order: the known brokers in turn (so one dead node is not asked
   * first every time), then the bootstrap nodes.
   */
  candidateNodes(bootstrap: readonly number[]): number[] {
    const out: number[] = [];
    const n = this.brokers.length;
    for (let i = 0; i < n; i++) out.push(this.brokers[(this.nextNode + i) % n]!);
    this.nextNode = n === 0 ? 0 : (this.nextNode + 1) % n;
    for (const b of bootstrap) if (!out.includes(b)) out.push(b);
    return out;
  }

  /** Every node id the last response named (sorted), or `bootstrap` before one. */
  nodes(bootstrap: readonly number[]): readonly number[] {
    return this.brokers.length > 0 ? this.brokers : bootstrap;
  }

  /** The cached leader of a partition, or undefined when unknown or leaderless. */
  leader(topic: string, partition: number): PartitionInfo | undefined {
    const p = this.topics.get(topic)?.partitions[partition];
    return p === undefined || p.leaderId < 0 ? undefined : p;
  }

  /**
   * No node answered the update: ask again after the failure backoff, counted from now (as
   * Kafka's `Metadata.failedUpdate` does: a request that timed out does not leave the next
   * one due at once).
   */
  updateFailed(now: number): void {
    this.updating = false;
    this.attemptMs = now;
    this.failures++;
    this.failureBackoffMs = backoffMs(this.failures - 1, this.options.retryBackoffMs, this.options.retryBackoffMaxMs, this.rng);
    this.stale = true;
  }

  /**
   * A node answered. A response that names an older leader epoch for a partition than
   * the data holds (a node that has not caught up) does not overwrite it, as Kafka's
   * client does; a partition without a leader, or a topic a node calls unknown, makes the
   * data stale again (asked again after the backoff).
   */
  updated(response: MetadataResponse, now: number): void {
    this.updating = false;
    this.refreshCount++;
    this.failures = 0;
    this.refreshedMs = now;
    if (response.brokers.length > 0) this.brokers = response.brokers.map((b) => b.nodeId).sort((a, b) => a - b);
    let needsRefresh = false;
    for (const t of response.topics) {
      if (t.name === null) continue;
      if (t.errorCode !== 'NONE') {
        this.topicErrors.set(t.name, t.errorCode);
        // A topic the cache knows that one node calls unknown is most likely a node behind
        // the controller (just restarted): keep what we know and ask again after the
        // backoff. A topic never seen stays unknown until a refresh finds it. Either way a
        // retriable topic error makes the data stale, or a client waiting on it would
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

/** Topic errors that a later request may not give (the topic is being created, a leader is being elected). */
export function isRetriableTopicError(code: ErrorCode): boolean {
  return code === 'UNKNOWN_TOPIC_OR_PARTITION' || code === 'LEADER_NOT_AVAILABLE' || code === 'REQUEST_TIMED_OUT' || code === 'NOT_LEADER_OR_FOLLOWER';
}
