/**
 * The replica fetchers of one broker: Kafka's `ReplicaFetcherManager` with one
 * `ReplicaFetcherThread` per leader. A fetcher pulls every partition this broker follows
 * on its leader in one Fetch request, hands each answer to the replica
 * (`Partition.appendAsFollower`), and stops when it follows nothing there any more.
 *
 * Under flush always a follower fetches on only once what it copied is synced (its fetch
 * offset tells the leader it holds everything below it); a storage fault takes that one
 * replica offline and the fetcher carries on with the others.
 * @internal
 */
import { ApiKey } from '../protocol/api-keys.js';
import type * as P from '../protocol/index.js';
import type { Clock } from '../util/clock.js';
import { isTributaryError } from '../util/errors.js';
import { delay } from '../util/timeout.js';
import type { BrokerChannel } from './broker.js';
import { isStorageFault } from './log-manager.js';
import type { Partition, PartitionFetchRequest, PartitionFetchResponse } from './partition.js';

/** A replica as the broker hosts it. */
export interface FollowedReplica {
  readonly topic: string;
  readonly partition: number;
  readonly replica: Partition;
}

/** What a fetcher needs of its broker. */
export interface FetcherHost {
  readonly nodeId: number;
  readonly peers: BrokerChannel;
  /** `replica.fetch.wait.max.ms`. */
  readonly fetchWaitMaxMs: number;
  /** Whose time the backoff after a failed fetch waits in. */
  readonly clock: Clock;
  isStopped(): boolean;
  /** The replicas hosted now. */
  hosted(): Iterable<FollowedReplica>;
  /** Whether `r` is still the hosted replica of its partition. */
  isHosted(r: FollowedReplica): boolean;
  storageFailed(r: FollowedReplica, err: unknown): void;
  /** Syncs what `r` appended (flush always); false if the sync failed. */
  flush(r: FollowedReplica): Promise<boolean>;
  /** Wakes whoever waits on the partition. */
  changed(r: FollowedReplica): void;
}

/** How long a fetcher waits after a failed fetch (an unreachable or moved leader). */
const fetchBackoffMs = 100;
/** `replica.fetch.max.bytes` per partition and `replica.fetch.response.max.bytes`. */
const partitionFetchBytesMax = 1024 * 1024;
const fetchBytesMax = 10 * 1024 * 1024;

export class ReplicaFetchers {
  private readonly running = new Map<number, Promise<void>>();

  constructor(private readonly host: FetcherHost) {}

  /** Starts the fetcher of `leaderId` unless it runs. */
  ensure(leaderId: number): void {
    if (this.running.has(leaderId) || this.host.isStopped()) return;
    const run = this.fetchFrom(leaderId).finally(() => this.running.delete(leaderId));
    this.running.set(leaderId, run);
  }

  /** One replica fetcher: pulls every partition this broker follows on `leaderId`, until there are none. */
  private async fetchFrom(leaderId: number): Promise<void> {
    const host = this.host;
    let backoffMs = 0;
    // Which partition leads the request: it moves each round, as Kafka's fetcher moves a
    // partition to the end of its list after a fetch. The leader gives the partitions
    // after the response limit nothing (KIP-74), so a fixed order would starve the last
    // ones while the first always have a backlog.
    let round = 0;
    while (!host.isStopped()) {
      if (backoffMs > 0) await delay(backoffMs, host.clock);
      const parts: { h: FollowedReplica; req: PartitionFetchRequest }[] = [];
      for (const h of host.hosted()) {
        if (h.replica.role !== 'follower' || h.replica.leaderId !== leaderId) continue;
        const req = h.replica.followerFetchRequest();
        if (req) parts.push({ h, req });
      }
      if (parts.length === 0) return;
      const lead = round++ % parts.length;
      const ordered = lead === 0 ? parts : parts.slice(lead).concat(parts.slice(0, lead));
      const byTopic = new Map<string, P.FetchPartition[]>();
      // The part of each topic-partition, to match the answer's partitions in one lookup
      // each (a search of `parts` per answered partition was quadratic in the partitions
      // this broker follows on `leaderId`).
      const partOf = new Map<string, Map<number, (typeof parts)[number]>>();
      for (const part of ordered) {
        const { h, req } = part;
        let list = byTopic.get(h.topic);
        if (!list) {
          byTopic.set(h.topic, (list = []));
          partOf.set(h.topic, new Map());
        }
        list.push({ partition: h.partition, fetchOffset: req.fetchOffset, lastFetchedEpoch: req.lastFetchedEpoch, currentLeaderEpoch: req.currentLeaderEpoch, partitionMaxBytes: req.maxBytes ?? partitionFetchBytesMax });
        partOf.get(h.topic)!.set(h.partition, part);
      }
      let res: P.FetchResponse;
      try {
        res = await host.peers.send(leaderId, {
          apiKey: ApiKey.Fetch,
          replicaId: host.nodeId,
          maxWaitMs: host.fetchWaitMaxMs,
          minBytes: 1,
          maxBytes: fetchBytesMax,
          isolationLevel: 0,
          topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
        });
      } catch {
        backoffMs = fetchBackoffMs; // the leader is unreachable: wait for it, or for the metadata to move on
        continue;
      }
      if (host.isStopped()) return;
      backoffMs = 0;
      let failed = false;
      const flushes: Promise<boolean>[] = [];
      for (const t of res.responses) {
        for (const pr of t.partitions) {
          const part = partOf.get(t.topic)?.get(pr.partitionIndex);
          if (!part || !host.isHosted(part.h)) continue;
          const response: PartitionFetchResponse = {
            errorCode: pr.errorCode,
            highWatermark: pr.highWatermark,
            logStartOffset: pr.logStartOffset,
            logEndOffset: -1,
            leaderEpoch: part.req.currentLeaderEpoch,
            ...(pr.divergingEpoch ? { divergingEpoch: pr.divergingEpoch } : {}),
            records: pr.records ?? new Uint8Array(0),
          };
          try {
            const out = part.h.replica.appendAsFollower(part.req, response);
            if (!out.ignored && out.errorCode !== 'NONE') failed = true;
            if (out.appended !== undefined && part.h.replica.config.hwRequiresFlush) flushes.push(host.flush(part.h));
          } catch (err) {
            if (isStorageFault(err)) host.storageFailed(part.h, err);
            else if (!isTributaryError(err)) throw err;
            failed = true;
          }
          host.changed(part.h);
        }
      }
      await Promise.all(flushes); // flush always: a follower fetches on only once what it copied is synced
      if (failed) backoffMs = fetchBackoffMs; // a leader that moved: the metadata will say where
    }
  }
}
