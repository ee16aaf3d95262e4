/**
 * Tributary's `node:diagnostics_channel` channels, named `tributary:<event>` in the
 * spirit of @platformatic/kafka's `plt:kafka:<area>:<operation>`. Publishers check
 * `channel.hasSubscribers` before building a message, so a channel nobody subscribes to
 * costs one property read.
 */
import { channel, type Channel } from 'node:diagnostics_channel';

/**
 * The names of Tributary's diagnostics channels. Subscribe with
 * `diagnostics_channel.subscribe(name, fn)`; each channel's messages are typed below
 * ({@link ProduceEvent}, {@link FetchEvent}, {@link GroupRebalanceEvent},
 * {@link ElectionEvent}, {@link FencingEvent}, {@link RecoveryEvent}).
 *
 * @example
 * ```ts
 * import { subscribe, unsubscribe } from 'node:diagnostics_channel';
 * import { Cluster, diagnosticChannels, type ProduceEvent } from 'tributary-log';
 *
 * const seen: ProduceEvent[] = [];
 * const onProduce = (message: unknown) => seen.push(message as ProduceEvent);
 * subscribe(diagnosticChannels.produce, onProduce);
 * await using cluster = await Cluster.start();
 * await cluster.admin().createTopics([{ name: 'events' }]);
 * await cluster.producer().send('events', [{ value: 'a' }, { value: 'b' }]);
 * unsubscribe(diagnosticChannels.produce, onProduce);
 * console.log(seen[0]?.topic, seen[0]?.records); // events 2
 * ```
 */
export const diagnosticChannels = {
  /** Records appended by a partition's leader ({@link ProduceEvent}). */
  produce: 'tributary:produce',
  /** Records read by a consumer or a follower ({@link FetchEvent}). */
  fetch: 'tributary:fetch',
  /** A consumer group member got a new assignment ({@link GroupRebalanceEvent}). */
  rebalance: 'tributary:rebalance',
  /** A node became the active controller, or a partition's leader ({@link ElectionEvent}). */
  election: 'tributary:election',
  /** A node was fenced or unfenced by the controller ({@link FencingEvent}). */
  fencing: 'tributary:fencing',
  /** A partition's log was recovered after an unclean shutdown ({@link RecoveryEvent}). */
  recovery: 'tributary:recovery',
} as const;

/**
 * A `tributary:produce` message: one partition's records appended by its leader.
 *
 * @example
 * ```ts
 * import type { ProduceEvent } from 'tributary-log';
 *
 * const describe = (e: ProduceEvent): string => `${e.topic}-${e.partition}: ${e.records} records at ${e.baseOffset} on node ${e.nodeId}`;
 * console.log(describe({ nodeId: 1, topic: 't', partition: 0, records: 2, bytes: 90, baseOffset: 0 }));
 * ```
 */
export interface ProduceEvent {
  readonly nodeId: number;
  readonly topic: string;
  readonly partition: number;
  readonly records: number;
  readonly bytes: number;
  readonly baseOffset: number;
}

/**
 * A `tributary:fetch` message: one partition's records read from its leader by a
 * consumer (`replicaId` -1) or a follower (its node id). Fetches that returned nothing
 * are not published.
 *
 * @example
 * ```ts
 * import type { FetchEvent } from 'tributary-log';
 *
 * const isConsumer = (e: FetchEvent): boolean => e.replicaId < 0;
 * console.log(isConsumer({ nodeId: 1, replicaId: -1, topic: 't', partition: 0, fetchOffset: 0, records: 5, bytes: 400, highWatermark: 5 })); // true
 * ```
 */
export interface FetchEvent {
  readonly nodeId: number;
  readonly replicaId: number;
  readonly topic: string;
  readonly partition: number;
  readonly fetchOffset: number;
  readonly records: number;
  readonly bytes: number;
  readonly highWatermark: number;
}

/**
 * A `tributary:rebalance` message: a consumer group member joined a new generation and
 * got its assignment.
 *
 * @example
 * ```ts
 * import type { GroupRebalanceEvent } from 'tributary-log';
 *
 * const onRebalance = (e: GroupRebalanceEvent): void => console.log(`${e.groupId} generation ${e.generationId}: ${e.assignment.length} partitions`);
 * onRebalance({ groupId: 'billing', memberId: 'm-1', generationId: 1, assignment: [{ topic: 'orders', partition: 0 }] });
 * ```
 */
export interface GroupRebalanceEvent {
  readonly groupId: string;
  readonly memberId: string;
  readonly generationId: number;
  readonly assignment: readonly { readonly topic: string; readonly partition: number }[];
}

/**
 * A `tributary:election` message: a node became the active controller (`type:
 * 'controller'`, with the quorum's epoch), or the leader of a partition (`type:
 * 'partition'`, with the new leader epoch).
 *
 * @example
 * ```ts
 * import type { ElectionEvent } from 'tributary-log';
 *
 * const say = (e: ElectionEvent): string => (e.type === 'controller' ? `node ${e.nodeId} controls (epoch ${e.epoch})` : `node ${e.nodeId} leads ${e.topic}-${e.partition}`);
 * console.log(say({ type: 'controller', nodeId: 1, epoch: 3 }));
 * ```
 */
export type ElectionEvent =
  | { readonly type: 'controller'; readonly nodeId: number; readonly epoch: number }
  | { readonly type: 'partition'; readonly nodeId: number; readonly topic: string; readonly partition: number; readonly leaderEpoch: number };

/**
 * A `tributary:fencing` message: the controller fenced a node (it stopped heartbeating, or
 * shut down) or unfenced it (it registered and caught up).
 *
 * @example
 * ```ts
 * import type { FencingEvent } from 'tributary-log';
 *
 * const e: FencingEvent = { nodeId: 2, brokerEpoch: 41, fenced: true };
 * console.log(e.fenced ? `node ${e.nodeId} is fenced` : `node ${e.nodeId} serves`);
 * ```
 */
export interface FencingEvent {
  readonly nodeId: number;
  readonly brokerEpoch: number;
  readonly fenced: boolean;
}

/**
 * A `tributary:recovery` message: a partition's log is being checked after an unclean
 * shutdown (`phase: 'start'`, with the bytes of its segments), or was (`phase: 'end'`,
 * with what the scan did and how fast).
 *
 * @example
 * ```ts
 * import type { RecoveryEvent } from 'tributary-log';
 *
 * const e: RecoveryEvent = { phase: 'end', nodeId: 1, topic: 't', partition: 0, bytes: 218e6, durationMs: 3100, bytesTruncated: 0 };
 * if (e.phase === 'end' && e.durationMs !== undefined) console.log(`${(e.bytes / 1e6 / (e.durationMs / 1000)).toFixed(0)} MB/s`); // 70 MB/s
 * ```
 */
export interface RecoveryEvent {
  readonly phase: 'start' | 'end';
  readonly nodeId: number;
  readonly topic: string;
  readonly partition: number;
  /** start: the bytes of the partition's segments; end: the bytes the scan checked. */
  readonly bytes: number;
  /** end only: how long opening the log took. */
  readonly durationMs?: number;
  /** end only: bytes cut off a torn or damaged tail. */
  readonly bytesTruncated?: number;
}

/** The channels themselves. @internal */
export const channels: {
  readonly produce: Channel;
  readonly fetch: Channel;
  readonly rebalance: Channel;
  readonly election: Channel;
  readonly fencing: Channel;
  readonly recovery: Channel;
} = {
  produce: channel(diagnosticChannels.produce),
  fetch: channel(diagnosticChannels.fetch),
  rebalance: channel(diagnosticChannels.rebalance),
  election: channel(diagnosticChannels.election),
  fencing: channel(diagnosticChannels.fencing),
  recovery: channel(diagnosticChannels.recovery),
};
