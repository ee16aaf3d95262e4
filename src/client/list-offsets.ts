/**
 * ListOffsets for many partitions at once, shared by `Admin.listOffsets`, the consumer's
 * `beginningOffsets`, `endOffsets`, `offsetsForTimes` and seeks (`'earliest'`, `'latest'`,
 * `{ timestamp }`), and a group's `lag()`: one request per
 * leader node holding every partition it leads (as Kafka's consumer groups its
 * ListOffsets by leader), the partitions whose leader moved asked again after a metadata
 * refresh, until the timeout.
 * @internal
 */
import { ApiKey } from '../protocol/api-keys.js';
import type { ListOffsetsTopic } from '../protocol/fetch.js';
import type { Transport } from '../transport/transport.js';
import type { Clock } from '../util/clock.js';
import type { ErrorCode } from '../util/error-codes.js';
import { TributaryError, isTributaryError } from '../util/errors.js';
import type { MetadataCache } from './metadata-cache.js';
import { delay, isRetriable, isStaleMetadataError, withTimeout } from './retry.js';

/**
 * A call about a topic that should exist (listOffsets, deleteRecords, resetting a group's
 * offsets, a consumer's offset lookups) fails with UNKNOWN_TOPIC_OR_PARTITION once the
 * cluster has said so a few times (a just-created topic may take a refresh or two to reach
 * the node asked), as Kafka's admin client does, instead of retrying to its timeout.
 */
export const existingTopic = { unknownAfterRefreshes: 3 } as const;

/** One partition to look up: `timestamp` is -2 (earliest), -1 (latest), -3 (max timestamp) or a time in ms. */
export interface OffsetQuery {
  readonly topic: string;
  readonly partition: number;
  readonly timestamp: number;
}

/** What the leader answered: the offset (-1 when no record is at or after the timestamp asked) and, for a timestamp, that record's timestamp (else -1). */
export interface OffsetAnswer {
  readonly offset: number;
  readonly timestamp: number;
}

/** What a lookup needs from its client. */
export interface OffsetLookupContext {
  readonly transport: Transport;
  readonly metadata: MetadataCache;
  readonly clock: Clock;
  /** The bound on the whole lookup, retries included, and on each request. */
  readonly timeoutMs: number;
  /** Throws CLIENT_CLOSED once the client is closed (checked before each round). */
  checkOpen(): void;
}

/** How a lookup waits for its topics. */
export interface LookupOptions {
  /**
   * The topic may have just been created (a consumer's seek at its assignment): its
   * metadata is waited for until the timeout, not given up as UNKNOWN_TOPIC_OR_PARTITION
   * after `existingTopic.unknownAfterRefreshes` answers saying it does not exist.
   */
  readonly topicMayBeNew?: boolean;
}

interface Entry {
  readonly q: OffsetQuery;
  answer: OffsetAnswer | undefined;
  error: ErrorCode | undefined;
  message: string | undefined;
}

/**
 * The answer to each query, in the order given (a partition named twice with the same
 * timestamp is asked once). An unknown topic or partition rejects with
 * UNKNOWN_TOPIC_OR_PARTITION; a partition's non-retriable error, or a retriable one still
 * there at the timeout, rejects with that error.
 */
export async function lookUpOffsets(ctx: OffsetLookupContext, queries: readonly OffsetQuery[], options: LookupOptions = {}): Promise<OffsetAnswer[]> {
  ctx.checkOpen();
  const deadline = ctx.clock.monotonic() + ctx.timeoutMs;
  const entries = new Map<string, Entry>();
  for (const q of queries) {
    const key = `${q.partition}:${q.timestamp}:${q.topic}`;
    if (!entries.has(key)) entries.set(key, { q, answer: undefined, error: undefined, message: undefined });
  }
  const topics = new Set([...entries.values()].map((e) => e.q.topic));
  await Promise.all(
    [...topics].map(async (topic) => {
      const info = await ctx.metadata.waitForTopic(topic, deadline, options.topicMayBeNew === true ? {} : existingTopic);
      const known = new Set(info.partitions.map((p) => p.partition));
      for (const e of entries.values()) {
        if (e.q.topic === topic && !known.has(e.q.partition)) {
          throw new TributaryError('UNKNOWN_TOPIC_OR_PARTITION', `topic "${topic}" has no partition ${e.q.partition} (it has ${info.partitions.length})`, { topic, partition: e.q.partition });
        }
      }
    }),
  );
  // A stale cache (a request failed with a stale-metadata error, or it aged) asks the
  // cluster first: `waitForTopic` returns at once for a known topic, and a seek would ask a
  // dead leader until its deadline, again on every rejoin (node simulation seed 44).
  if (ctx.metadata.isStale) await ctx.metadata.refresh().catch(() => false);
  for (let attempt = 0; ; attempt++) {
    ctx.checkOpen();
    const pending = [...entries.values()].filter((e) => e.answer === undefined);
    // A partition appears once a request: the same partition with two timestamps goes in two rounds.
    const byNode = new Map<number, Map<string, Entry>>();
    const deferred = new Set<Entry>();
    for (const e of pending) {
      e.error = undefined;
      const leader = ctx.metadata.leader(e.q.topic, e.q.partition);
      if (leader === undefined || leader.leaderId < 0) {
        e.error = 'LEADER_NOT_AVAILABLE';
        e.message = `no leader for topic "${e.q.topic}" partition ${e.q.partition}`;
        continue;
      }
      let list = byNode.get(leader.leaderId);
      if (list === undefined) byNode.set(leader.leaderId, (list = new Map()));
      const tpKey = `${e.q.partition}:${e.q.topic}`;
      if (list.has(tpKey)) deferred.add(e);
      else list.set(tpKey, e);
    }
    await Promise.all([...byNode].map(([node, list]) => askNode(ctx, node, [...list.values()])));
    const failed = pending.filter((e) => e.answer === undefined && !deferred.has(e));
    if (failed.length === 0 && deferred.size === 0) return queries.map((q) => entries.get(`${q.partition}:${q.timestamp}:${q.topic}`)!.answer!);
    for (const e of failed) {
      const code = e.error ?? 'UNKNOWN_SERVER_ERROR';
      if (!(isRetriable(code) || isStaleMetadataError(code)) || ctx.clock.monotonic() >= deadline) {
        throw new TributaryError(code, e.message ?? `topic "${e.q.topic}" partition ${e.q.partition}: ${code}`, { topic: e.q.topic, partition: e.q.partition });
      }
    }
    if (failed.length > 0) {
      for (const e of failed) ctx.metadata.invalidate(e.error!);
      await ctx.metadata.refresh().catch(() => false);
      await delay(Math.min(200, 10 * 2 ** attempt), ctx.clock);
    }
  }
}

/** One ListOffsets to a node for these partitions (each at most once); sets each entry's answer or error. */
async function askNode(ctx: OffsetLookupContext, node: number, list: readonly Entry[]): Promise<void> {
  const byTopic = new Map<string, { name: string; partitions: ListOffsetsTopic['partitions'][number][] }>();
  for (const e of list) {
    let t = byTopic.get(e.q.topic);
    if (t === undefined) byTopic.set(e.q.topic, (t = { name: e.q.topic, partitions: [] }));
    t.partitions.push({ partitionIndex: e.q.partition, currentLeaderEpoch: ctx.metadata.leader(e.q.topic, e.q.partition)?.leaderEpoch ?? -1, timestamp: e.q.timestamp });
  }
  try {
    const res = await withTimeout(ctx.transport.send(node, { apiKey: ApiKey.ListOffsets, replicaId: -1, isolationLevel: 0, topics: [...byTopic.values()] }), ctx.timeoutMs, `ListOffsets request to node ${node}`, ctx.clock);
    // Indexed once: an answer may hold every partition of a topic of thousands.
    const answered = new Map<string, (typeof res.topics)[number]['partitions'][number]>();
    for (const t of res.topics) for (const p of t.partitions) answered.set(`${p.partitionIndex}:${t.name}`, p);
    for (const e of list) {
      const p = answered.get(`${e.q.partition}:${e.q.topic}`);
      if (p === undefined) {
        e.error = 'UNKNOWN_SERVER_ERROR';
        e.message = `node ${node} did not answer for topic "${e.q.topic}" partition ${e.q.partition} in its ListOffsets response`;
      } else if (p.errorCode !== 'NONE') {
        e.error = p.errorCode;
        e.message = `topic "${e.q.topic}" partition ${e.q.partition}: ${p.errorCode}`;
      } else {
        e.answer = { offset: p.offset, timestamp: p.timestamp };
      }
    }
  } catch (err) {
    if (!isTributaryError(err)) throw err;
    for (const e of list) {
      e.error = err.code;
      e.message = `ListOffsets for topic "${e.q.topic}" partition ${e.q.partition}: ${err.message}`;
    }
  }
}
