/**
 * `Admin`: create, delete and describe topics, add partitions, read and change configs,
 * list offsets, delete records, describe the cluster, and list, describe, move and delete
 * consumer groups and their offsets. Speaks only `src/protocol/` through a `Transport`.
 */
import { ApiKey } from '../protocol/api-keys.js';
import type * as P from '../protocol/index.js';
import type { Request, ResponseFor } from '../protocol/requests.js';
import { ConfigResourceType } from '../metadata/records.js';
import type { Transport } from '../transport/transport.js';
import { systemClock, type Clock } from '../util/clock.js';
import { errorCodes, type ErrorCode } from '../util/error-codes.js';
import { TributaryError, isTributaryError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import type { TopicPartition } from './consumer.js';
import { decodeAssignment } from './consumer-protocol.js';
import { checkGroupId, groupErrorMessage, partitionsByTopic } from './admin-groups.js';
import { existingTopic, lookUpOffsets, type OffsetLookupContext } from './list-offsets.js';
import { MetadataCache } from './metadata-cache.js';
import { delay, withTimeout } from './retry.js';
import { bool, checkOptions, clockRule, custom, describeValue, durationMs, type OptionRules } from '../util/options.js';
import { validateTopicName } from '../util/topic-name.js';


/**
 * A topic to create.
 *
 * @example
 * ```ts
 * import { Cluster, type NewTopic } from 'tributary-log';
 *
 * await using cluster = await Cluster.start({ nodes: 3 });
 * const profiles: NewTopic = {
 *   name: 'user-profiles',
 *   partitions: 6,
 *   replicationFactor: 3,
 *   configs: { 'cleanup.policy': 'compact', 'min.insync.replicas': '2' },
 * };
 * await cluster.admin().createTopics([profiles]);
 * ```
 */
export interface NewTopic {
  readonly name: string;
  /** Partitions; default the cluster's `num.partitions`. */
  readonly partitions?: number;
  /** Replicas of each partition; default the cluster's `default.replication.factor`. */
  readonly replicationFactor?: number;
  /** Topic configs by Kafka's names, such as `{ 'cleanup.policy': 'compact', 'min.insync.replicas': '2' }`. */
  readonly configs?: Readonly<Record<string, string>>;
}

/**
 * A partition as {@link Admin.describeTopics} reports it.
 *
 * @example
 * ```ts
 * import { Cluster, type PartitionDescription } from 'tributary-log';
 *
 * await using cluster = await Cluster.start({ nodes: 3 });
 * const admin = cluster.admin();
 * await admin.createTopics([{ name: 'orders', partitions: 3, replicationFactor: 3 }]);
 * const [orders] = await admin.describeTopics(['orders']);
 * const underReplicated = orders!.partitions.filter((p: PartitionDescription) => p.isr.length < p.replicas.length);
 * for (const p of orders!.partitions) console.log(p.partition, 'led by', p.leader, 'isr', p.isr);
 * console.log(underReplicated.length);
 * ```
 */
export interface PartitionDescription {
  readonly partition: number;
  /** The leader's node id, or -1 while there is none. */
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  /** Replicas on nodes that are down (fenced). */
  readonly offlineReplicas: readonly number[];
}

/**
 * A topic as {@link Admin.describeTopics} reports it.
 *
 * @example
 * ```ts
 * import { Cluster, type TopicDescription } from 'tributary-log';
 *
 * await using cluster = await Cluster.start();
 * const admin = cluster.admin();
 * await admin.createTopics([{ name: 'orders', partitions: 3 }]);
 * const [orders]: TopicDescription[] = await admin.describeTopics(['orders']);
 * console.log(orders!.name, orders!.partitions.length, orders!.internal); // orders 3 false
 * ```
 */
export interface TopicDescription {
  readonly name: string;
  readonly topicId: string;
  readonly internal: boolean;
  readonly partitions: readonly PartitionDescription[];
}

/**
 * One config entry with its effective value and where it came from.
 *
 * @example
 * ```ts
 * import { Cluster, type ConfigEntry } from 'tributary-log';
 *
 * await using cluster = await Cluster.start();
 * const admin = cluster.admin();
 * await admin.createTopics([{ name: 'orders', configs: { 'retention.ms': '3600000' } }]);
 * const configs = await admin.describeConfigs('orders');
 * const retention: ConfigEntry | undefined = configs['retention.ms'];
 * console.log(retention?.value, retention?.source, retention?.readOnly);
 * ```
 */
export interface ConfigEntry {
  readonly value: string | null;
  readonly source: string;
  readonly readOnly: boolean;
}

/**
 * Where to list an offset: the earliest, the latest, or the first record at or after a timestamp.
 *
 * @example
 * ```ts
 * import { Cluster, type OffsetSpec } from 'tributary-log';
 *
 * await using cluster = await Cluster.start();
 * const admin = cluster.admin();
 * await admin.createTopics([{ name: 'orders' }]);
 * const anHourAgo: OffsetSpec = { timestamp: Date.now() - 60 * 60 * 1000 };
 * const [first] = await admin.listOffsets('orders', anHourAgo);
 * console.log(first!.offset); // -1: no record is that recent yet
 * ```
 */
export type OffsetSpec = 'earliest' | 'latest' | 'max-timestamp' | { readonly timestamp: number };

/**
 * An offset per partition, from {@link Admin.listOffsets}.
 *
 * @example
 * ```ts
 * import { Cluster, type PartitionOffset } from 'tributary-log';
 *
 * await using cluster = await Cluster.start();
 * const admin = cluster.admin();
 * await admin.createTopics([{ name: 'orders', partitions: 2 }]);
 * await cluster.producer().send('orders', [{ value: 'a', partition: 0 }, { value: 'b', partition: 0 }]);
 * const latest: PartitionOffset[] = await admin.listOffsets('orders', 'latest');
 * console.log(latest.map((p) => `${p.partition}:${p.offset}`)); // [ '0:2', '1:0' ]
 * ```
 */
export interface PartitionOffset {
  readonly partition: number;
  /** The offset, or -1 when no record has a timestamp at or after the one asked for. */
  readonly offset: number;
  /** The record's timestamp for a timestamp lookup, else -1. */
  readonly timestamp: number;
}

/**
 * The cluster as {@link Admin.describeCluster} reports it.
 *
 * @example
 * ```ts
 * import { Cluster, type ClusterDescription } from 'tributary-log';
 *
 * await using cluster = await Cluster.start({ nodes: 3 });
 * const description: ClusterDescription = await cluster.admin().describeCluster();
 * console.log(description.clusterId === cluster.clusterId); // true
 * console.log(description.controllerId, description.nodes.map((n) => n.id));
 * ```
 */
export interface ClusterDescription {
  readonly clusterId: string;
  readonly controllerId: number;
  readonly nodes: readonly { readonly id: number; readonly host: string; readonly port: number; readonly rack: string | null }[];
}

/**
 * A group as {@link Admin.listGroups} reports it.
 *
 * @example
 * ```ts
 * import { Cluster, type GroupListing } from 'tributary-log';
 *
 * await using cluster = await Cluster.start();
 * const groups: GroupListing[] = await cluster.admin().listGroups();
 * console.log(groups.map((g) => `${g.groupId}: ${g.state}`));
 * ```
 */
export interface GroupListing {
  readonly groupId: string;
  /** `Empty`, `PreparingRebalance`, `CompletingRebalance`, `Stable` or `Dead`. */
  readonly state: string;
  readonly protocolType: string;
}

/**
 * A group as {@link Admin.describeGroup} reports it: the node that coordinates it, its
 * members and what they own, and its committed offsets with their lag.
 *
 * @example
 * ```ts
 * import { Cluster, type GroupDescription } from 'tributary-log';
 *
 * await using cluster = await Cluster.start({ nodes: 3 });
 * await cluster.admin().createTopics([{ name: 'events' }]);
 * const group = cluster.consumerGroup({ groupId: 'audit', topics: ['events'] });
 * await group.whenJoined();
 * const d: GroupDescription = await cluster.admin().describeGroup('audit');
 * console.log(d.state, d.members.length); // Stable 1
 * // The coordinator: kill it to test a coordinator failover.
 * cluster.killNode(d.coordinator);
 * await group.close();
 * ```
 */
export interface GroupDescription {
  readonly groupId: string;
  /**
   * The id of the node that coordinates the group (the leader of its
   * `__consumer_offsets` partition) when it answered; it moves when that node fails.
   */
  readonly coordinator: number;
  readonly state: string;
  /** The assignor the group runs (`range`, `cooperative-sticky`, ...), or `''` between generations. */
  readonly protocol: string;
  readonly members: readonly {
    readonly memberId: string;
    readonly groupInstanceId: string | null;
    readonly clientId: string;
    /** Where the member connected from, as Kafka's `MemberDescription.host()`: `/127.0.0.1` over TCP, `in-process:<id>` for a member in the cluster's process. */
    readonly clientHost: string;
    readonly assignment: readonly { readonly topic: string; readonly partition: number }[];
  }[];
  /** Committed offsets, with the partition's end (high watermark) and the lag between them. */
  readonly offsets: readonly { readonly topic: string; readonly partition: number; readonly committed: number; readonly end: number; readonly lag: number }[];
}

/**
 * Options of an {@link Admin}.
 *
 * @example
 * ```ts
 * import { Admin, Cluster, type AdminOptions } from 'tributary-log';
 *
 * await using cluster = await Cluster.start();
 * // Give up on an admin call, retries included, after 5 s.
 * const options: AdminOptions = { requestTimeoutMs: 5000 };
 * const admin = new Admin(cluster.transport, options); // or cluster.admin(options)
 * console.log(await admin.listTopics());
 * admin.close();
 * ```
 */
export interface AdminOptions {
  /** How long one admin call may take, retries included: a bound, also when the cluster has no controller. Default 30000. */
  readonly requestTimeoutMs?: number;
  readonly clock?: Clock;
}

/**
 * Options of {@link Admin.createTopics}.
 *
 * @example
 * ```ts
 * import { Cluster, type CreateTopicsOptions } from 'tributary-log';
 *
 * await using cluster = await Cluster.start();
 * const options: CreateTopicsOptions = { ifNotExists: true };
 * await cluster.admin().createTopics([{ name: 'orders' }], options);
 * await cluster.admin().createTopics([{ name: 'orders' }], options); // no TOPIC_ALREADY_EXISTS
 * ```
 */
export interface CreateTopicsOptions {
  /** Check the request and report what would fail, creating nothing (Kafka's `validateOnly`). Default false. */
  readonly validateOnly?: boolean;
  /**
   * A topic that already exists is not an error: it is left as it is (its partitions and
   * configs are not compared with the request), as `kafka-topics.sh --if-not-exists` does.
   * Default false: `TOPIC_ALREADY_EXISTS`.
   */
  readonly ifNotExists?: boolean;
}

const adminRules: OptionRules = { requestTimeoutMs: durationMs(1), clock: clockRule };
const createTopicsRules: OptionRules = { validateOnly: bool, ifNotExists: bool };
const newTopicRules: OptionRules = {
  name: custom('a topic name', (v) => typeof v === 'string'),
  // Types here; ranges at the controller, with Kafka's codes (INVALID_PARTITIONS, INVALID_REPLICATION_FACTOR).
  partitions: custom('an integer', (v) => Number.isSafeInteger(v)),
  replicationFactor: custom('an integer', (v) => Number.isSafeInteger(v)),
  configs: custom('an object of config names to string values', (v) => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string')),
};
const newTopicAliases = { numPartitions: 'partitions', replicas: 'replicationFactor', config: 'configs', configEntries: 'configs', topic: 'name' };

/**
 * The admin client.
 *
 * @example
 * ```ts
 * import { Cluster } from 'tributary-log';
 *
 * await using cluster = await Cluster.start();
 * const admin = cluster.admin();
 * await admin.createTopics([{ name: 'orders', partitions: 3 }]);
 * console.log((await admin.listTopics()).includes('orders')); // true
 * ```
 */
export class Admin {
  private readonly clock: Clock;
  private readonly timeoutMs: number;
  private readonly metadata: MetadataCache;
  /** ListOffsets by leader (list-offsets.ts), shared with the consumer's offset lookups. */
  private readonly offsetLookup: OffsetLookupContext;
  private closed = false;
  /** The last request no node answered (a refused connection, say), to name in a call's timeout. */
  private lastFailure: { readonly err: TributaryError; readonly atMs: number } | undefined;

  constructor(
    private readonly transport: Transport,
    options: AdminOptions = {},
  ) {
    checkOptions(options, adminRules, 'an admin');
    this.clock = options.clock ?? systemClock;
    this.timeoutMs = options.requestTimeoutMs ?? 30_000;
    this.metadata = new MetadataCache(transport, { metadataMaxAgeMs: 5000, retryBackoffMs: 20, retryBackoffMaxMs: 500, requestTimeoutMs: this.timeoutMs }, this.clock, new Rng(Date.now() >>> 0));
    this.offsetLookup = { transport, metadata: this.metadata, clock: this.clock, timeoutMs: this.timeoutMs, checkOpen: () => this.checkOpen() };
  }

  /**
   * Creates topics. Resolves once every topic exists and each of its partitions has a
   * leader; rejects with the first topic's error otherwise (`TOPIC_ALREADY_EXISTS`,
   * `INVALID_TOPIC_EXCEPTION`, `INVALID_REPLICATION_FACTOR`, `INVALID_PARTITIONS`,
   * `INVALID_CONFIG`, ...), naming the topic.
   */
  async createTopics(topics: readonly NewTopic[], options: CreateTopicsOptions = {}): Promise<void> {
    this.checkOpen();
    checkOptions(options, createTopicsRules, 'a createTopics');
    if (!Array.isArray(topics)) throw new TributaryError('INVALID_ARGUMENT', 'createTopics takes an array of topics', { option: 'topics' });
    for (const t of topics) {
      checkOptions(t, newTopicRules, 'a NewTopic', { aliases: newTopicAliases });
      validateTopicName(t.name);
    }
    await this.bounded('createTopics', async () => {
      const res = await this.toAnyNode<P.CreateTopicsRequest>({
        apiKey: ApiKey.CreateTopics,
        timeoutMs: this.timeoutMs,
        validateOnly: options.validateOnly ?? false,
        topics: topics.map((t) => ({
          name: t.name,
          numPartitions: t.partitions ?? -1,
          replicationFactor: t.replicationFactor ?? -1,
          configs: (Object.entries(t.configs ?? {}) as [string, string][]).map(([name, value]) => ({ name, value })),
        })),
      });
      for (const r of res.topics) {
        if (r.errorCode === 'NONE' || (options.ifNotExists && r.errorCode === 'TOPIC_ALREADY_EXISTS')) continue;
        const message = r.errorMessage ?? `topic "${r.name}": ${r.errorCode}`;
        throw new TributaryError(r.errorCode, r.errorCode === 'TOPIC_ALREADY_EXISTS' ? `${message} (createTopics(topics, { ifNotExists: true }) leaves existing topics as they are)` : message, { topic: r.name });
      }
      if (options.validateOnly) return;
      await Promise.all(topics.map((t) => this.waitForLeaders(t.name)));
    });
  }

  /** Deletes topics; rejects with the first topic's error (`UNKNOWN_TOPIC_OR_PARTITION`, ...). */
  async deleteTopics(names: readonly string[]): Promise<void> {
    this.checkOpen();
    if (!Array.isArray(names)) throw new TributaryError('INVALID_ARGUMENT', 'deleteTopics takes an array of names', { option: 'names' });
    for (const name of names) validateTopicName(name);
    const res = await this.bounded('deleteTopics', () => this.toAnyNode({ apiKey: ApiKey.DeleteTopics, timeoutMs: this.timeoutMs, topics: names.map((name) => ({ name })) }));
    for (const r of res.responses) if (r.errorCode !== 'NONE') throw new TributaryError(r.errorCode, r.errorMessage ?? `topic "${r.name}": ${r.errorCode}`, { topic: r.name ?? undefined });
  }

  /** The names of every topic, sorted. */
  async listTopics(): Promise<string[]> {
    this.checkOpen();
    const res = await this.bounded('listTopics', () => this.toAnyNode({ apiKey: ApiKey.Metadata, topics: null, allowAutoTopicCreation: false }));
    return res.topics.map((t) => t.name ?? '').filter((n) => n !== '').sort();
  }

  /** Partitions, leaders, replicas and ISRs of topics; rejects with `UNKNOWN_TOPIC_OR_PARTITION` for a topic that does not exist. */
  async describeTopics(names: readonly string[]): Promise<TopicDescription[]> {
    this.checkOpen();
    if (!Array.isArray(names)) throw new TributaryError('INVALID_ARGUMENT', 'describeTopics takes an array of names', { option: 'names' });
    for (const name of names) validateTopicName(name);
    const res = await this.bounded('describeTopics', () => this.toAnyNode({ apiKey: ApiKey.Metadata, topics: names.map((name) => ({ name })), allowAutoTopicCreation: false }));
    return res.topics.map((t) => {
      if (t.errorCode !== 'NONE') throw new TributaryError(t.errorCode, t.errorCode === 'UNKNOWN_TOPIC_OR_PARTITION' ? `topic "${t.name}" does not exist` : `topic "${t.name}": ${t.errorCode}`, { topic: t.name ?? undefined });
      return {
        name: t.name ?? '',
        topicId: t.topicId,
        internal: t.isInternal,
        partitions: [...t.partitions]
          .sort((a, b) => a.partitionIndex - b.partitionIndex)
          .map((p) => ({ partition: p.partitionIndex, leader: p.leaderId, leaderEpoch: p.leaderEpoch, replicas: p.replicaNodes, isr: p.isrNodes, offlineReplicas: p.offlineReplicas })),
      };
    });
  }

  /** Grows a topic to `totalCount` partitions (Kafka never shrinks one). */
  async createPartitions(topic: string, totalCount: number): Promise<void> {
    this.checkOpen();
    validateTopicName(topic);
    if (!Number.isInteger(totalCount) || totalCount < 1 || totalCount > 1_000_000) throw new TributaryError('INVALID_PARTITIONS', `totalCount must be an integer from 1 to 1000000, got ${describeValue(totalCount)}`, { topic, option: 'totalCount' });
    await this.bounded('createPartitions', async () => {
      const res = await this.toAnyNode({ apiKey: ApiKey.CreatePartitions, timeoutMs: this.timeoutMs, topics: [{ name: topic, count: totalCount, assignments: null }] });
      for (const r of res.results) if (r.errorCode !== 'NONE') throw new TributaryError(r.errorCode, r.errorMessage ?? `topic "${r.name}": ${r.errorCode}`, { topic: r.name });
      await this.waitForLeaders(topic, totalCount);
    });
  }

  /** A topic's configs: every known config with its effective value and its source. */
  async describeConfigs(topic: string): Promise<Record<string, ConfigEntry>> {
    this.checkOpen();
    validateTopicName(topic);
    const res = await this.bounded('describeConfigs', () => this.toAnyNode({ apiKey: ApiKey.DescribeConfigs, resources: [{ resourceType: ConfigResourceType.Topic, resourceName: topic, configurationKeys: null }] }));
    const r = res.results[0];
    if (!r) throw new TributaryError('UNKNOWN_SERVER_ERROR', 'DescribeConfigs returned no result', { topic });
    if (r.errorCode !== 'NONE') throw new TributaryError(r.errorCode, r.errorMessage ?? `topic "${topic}": ${r.errorCode}`, { topic });
    const out: Record<string, ConfigEntry> = {};
    for (const c of r.configs) out[c.name] = { value: c.value, source: c.source, readOnly: c.readOnly };
    return out;
  }

  /** Sets (a string) or removes (null) topic configs, Kafka's IncrementalAlterConfigs. */
  async alterConfigs(topic: string, changes: Readonly<Record<string, string | null>>, options: { readonly validateOnly?: boolean } = {}): Promise<void> {
    this.checkOpen();
    validateTopicName(topic);
    if (typeof changes !== 'object' || changes === null || Array.isArray(changes) || !Object.values(changes).every((v) => v === null || typeof v === 'string')) {
      throw new TributaryError('INVALID_ARGUMENT', `changes must be an object of config names to a string (set) or null (remove), got ${describeValue(changes)}`, { topic, option: 'changes' });
    }
    checkOptions(options, { validateOnly: bool }, 'an alterConfigs');
    const res = await this.bounded('alterConfigs', () => this.toAnyNode({
      apiKey: ApiKey.IncrementalAlterConfigs,
      validateOnly: options.validateOnly ?? false,
      resources: [
        {
          resourceType: ConfigResourceType.Topic,
          resourceName: topic,
          configs: Object.entries(changes).map(([name, value]) => (value === null ? { name, configOperation: 'DELETE' as const, value: null } : { name, configOperation: 'SET' as const, value })),
        },
      ],
    }));
    for (const r of res.responses) if (r.errorCode !== 'NONE') throw new TributaryError(r.errorCode, r.errorMessage ?? `topic "${topic}": ${r.errorCode}`, { topic });
  }

  /**
   * A broker's configs, as Kafka's DescribeConfigs of its BROKER resource: every config with
   * its value, its source (`DEFAULT_CONFIG`, `STATIC_BROKER_CONFIG` where Tributary's value
   * is not Kafka's default, `DYNAMIC_BROKER_CONFIG`, `DYNAMIC_DEFAULT_BROKER_CONFIG`) and
   * whether it is read-only (may not be changed while the cluster runs). Asked of that
   * broker, as Kafka clients ask.
   *
   * @example
   * ```ts
   * import { Cluster } from 'tributary-log';
   *
   * await using cluster = await Cluster.start();
   * const configs = await cluster.admin().describeBrokerConfigs(1);
   * console.log(configs['num.partitions']?.value, configs['log.retention.ms']?.readOnly); // 1 false
   * ```
   */
  async describeBrokerConfigs(nodeId: number): Promise<Record<string, ConfigEntry>> {
    this.checkOpen();
    if (!Number.isInteger(nodeId) || nodeId < 0 || nodeId > 0x7fffffff) throw new TributaryError('INVALID_ARGUMENT', `nodeId must be a broker id, got ${describeValue(nodeId)}`, { option: 'nodeId' });
    const res = await this.bounded('describeBrokerConfigs', () => this.transport.send(nodeId, { apiKey: ApiKey.DescribeConfigs, resources: [{ resourceType: ConfigResourceType.Broker, resourceName: String(nodeId), configurationKeys: null }] }));
    const r = res.results[0];
    if (!r) throw new TributaryError('UNKNOWN_SERVER_ERROR', 'DescribeConfigs returned no result');
    if (r.errorCode !== 'NONE') throw new TributaryError(r.errorCode, r.errorMessage ?? `broker ${nodeId}: ${r.errorCode}`);
    const out: Record<string, ConfigEntry> = {};
    for (const c of r.configs) out[c.name] = { value: c.value, source: c.source, readOnly: c.readOnly };
    return out;
  }

  /**
   * Sets (a string) or removes (null) dynamic broker configs, Kafka's IncrementalAlterConfigs
   * of a BROKER resource: of one broker (`nodeId`), or the cluster-wide default (`null`),
   * which every topic without its own value follows (`log.retention.ms` for `retention.ms`,
   * ...). A read-only config is refused with `INVALID_REQUEST` (`Cannot update these
   * configs dynamically`), as Kafka refuses it.
   *
   * @example
   * ```ts
   * import { Cluster } from 'tributary-log';
   *
   * await using cluster = await Cluster.start();
   * await cluster.admin().alterBrokerConfigs(null, { 'log.retention.ms': '3600000' });
   * ```
   */
  async alterBrokerConfigs(nodeId: number | null, changes: Readonly<Record<string, string | null>>, options: { readonly validateOnly?: boolean } = {}): Promise<void> {
    this.checkOpen();
    if (nodeId !== null && (!Number.isInteger(nodeId) || nodeId < 0 || nodeId > 0x7fffffff)) throw new TributaryError('INVALID_ARGUMENT', `nodeId must be a broker id or null (the cluster-wide default), got ${describeValue(nodeId)}`, { option: 'nodeId' });
    if (typeof changes !== 'object' || changes === null || Array.isArray(changes) || !Object.values(changes).every((v) => v === null || typeof v === 'string')) {
      throw new TributaryError('INVALID_ARGUMENT', `changes must be an object of config names to a string (set) or null (remove), got ${describeValue(changes)}`, { option: 'changes' });
    }
    checkOptions(options, { validateOnly: bool }, 'an alterBrokerConfigs');
    const resourceName = nodeId === null ? '' : String(nodeId);
    const res = await this.bounded('alterBrokerConfigs', () => this.toAnyNode({
      apiKey: ApiKey.IncrementalAlterConfigs,
      validateOnly: options.validateOnly ?? false,
      resources: [
        {
          resourceType: ConfigResourceType.Broker,
          resourceName,
          configs: Object.entries(changes).map(([name, value]) => (value === null ? { name, configOperation: 'DELETE' as const, value: null } : { name, configOperation: 'SET' as const, value })),
        },
      ],
    }));
    for (const r of res.responses) if (r.errorCode !== 'NONE') throw new TributaryError(r.errorCode, r.errorMessage ?? `broker ${JSON.stringify(resourceName)}: ${r.errorCode}`);
  }

  /**
   * The earliest, latest, or first-at-a-timestamp offset of every partition of a topic;
   * `'max-timestamp'`: the first record holding the partition's largest timestamp, with that
   * timestamp (Kafka's `OffsetSpec.maxTimestamp()`; -1 for an empty partition).
   */
  async listOffsets(topic: string, spec: OffsetSpec): Promise<PartitionOffset[]> {
    this.checkOpen();
    validateTopicName(topic);
    return this.bounded('listOffsets', () => this.listOffsetsOf(topic, spec));
  }

  private async listOffsetsOf(topic: string, spec: OffsetSpec): Promise<PartitionOffset[]> {
    const timestamp = spec === 'earliest' ? -2 : spec === 'latest' ? -1 : spec === 'max-timestamp' ? -3 : typeof spec === 'object' && spec !== null && Number.isSafeInteger(spec.timestamp) && spec.timestamp >= 0 ? spec.timestamp : undefined;
    if (timestamp === undefined) throw new TributaryError('INVALID_ARGUMENT', `spec must be 'earliest', 'latest', 'max-timestamp' or { timestamp } with a non-negative integer, got ${JSON.stringify(spec)}`, { option: 'spec', topic });
    const info = await this.metadata.waitForTopic(topic, this.clock.monotonic() + this.timeoutMs, existingTopic);
    const partitions = info.partitions.map((p) => p.partition);
    const answers = await lookUpOffsets(this.offsetLookup, partitions.map((partition) => ({ topic, partition, timestamp })));
    return partitions.map((partition, i) => ({ partition, offset: answers[i]!.offset, timestamp: answers[i]!.timestamp }));
  }

  /**
   * Deletes every record before `offset` in each partition named (-1: up to the high
   * watermark): raises the log start offset. Resolves with the new log start offsets.
   */
  async deleteRecords(topic: string, offsets: Readonly<Record<number, number>>): Promise<Record<number, number>> {
    this.checkOpen();
    validateTopicName(topic);
    if (typeof offsets !== 'object' || offsets === null || Array.isArray(offsets)) throw new TributaryError('INVALID_ARGUMENT', `offsets must be an object of partition to offset, got ${describeValue(offsets)}`, { topic, option: 'offsets' });
    for (const [key, offset] of Object.entries(offsets)) {
      if (!/^(0|[1-9][0-9]{0,9})$/.test(key) || Number(key) > 0x7fffffff) throw new TributaryError('INVALID_ARGUMENT', `a partition must be an integer from 0 to 2147483647, got ${JSON.stringify(key)}`, { topic, option: 'offsets' });
      if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < -1) throw new TributaryError('INVALID_ARGUMENT', `the offset of partition ${key} must be -1 or a non-negative integer, got ${describeValue(offset)}`, { topic, option: 'offsets' });
    }
    const out: Record<number, number> = {};
    await this.bounded('deleteRecords', () => Promise.all(
      Object.entries(offsets).map(async ([key, offset]) => {
        const partition = Number(key);
        out[partition] = await this.toLeader<number>(topic, partition, async (leader) => {
          const res = await this.transport.send(leader, { apiKey: ApiKey.DeleteRecords, timeoutMs: this.timeoutMs, topics: [{ name: topic, partitions: [{ partitionIndex: partition, offset }] }] });
          const r = res.topics[0]?.partitions[0];
          if (!r) return { error: 'UNKNOWN_SERVER_ERROR' as ErrorCode };
          if (r.errorCode !== 'NONE') return { error: r.errorCode };
          return { value: r.lowWatermark };
        }).catch((err: unknown) => {
          if (!isTributaryError(err) || err.code !== 'OFFSET_OUT_OF_RANGE') throw err;
          throw new TributaryError('OFFSET_OUT_OF_RANGE', `cannot delete the records of topic "${topic}" partition ${partition} before offset ${offset}: it is past the partition's high watermark (-1 deletes every record up to it)`, { topic, partition, cause: err });
        });
      }),
    ));
    return out;
  }

  /** The cluster id, the active controller and the live nodes. */
  async describeCluster(): Promise<ClusterDescription> {
    this.checkOpen();
    const res = await this.bounded('describeCluster', () => this.toAnyNode({ apiKey: ApiKey.DescribeCluster, includeClusterAuthorizedOperations: false }));
    return { clusterId: res.clusterId, controllerId: res.controllerId, nodes: res.brokers.map((b) => ({ id: b.brokerId, host: b.host, port: b.port, rack: b.rack })) };
  }

  /** Every consumer group in the cluster (each node lists the groups it coordinates). */
  async listGroups(): Promise<GroupListing[]> {
    this.checkOpen();
    return this.bounded('listGroups', () => this.listGroupsOf());
  }

  private async listGroupsOf(): Promise<GroupListing[]> {
    await this.metadata.refresh().catch(() => undefined);
    const nodes = this.metadata.nodes();
    const lists = await Promise.all(
      nodes.map(async (node) => {
        try {
          const r = await this.transport.send(node, { apiKey: ApiKey.ListGroups });
          if (r.errorCode !== 'NONE') throw new TributaryError(r.errorCode, `ListGroups at node ${node}: ${r.errorCode}`);
          return r.groups;
        } catch (err) {
          if (isTributaryError(err) && (err.code === 'NETWORK_EXCEPTION' || err.code === 'COORDINATOR_NOT_AVAILABLE')) return [];
          throw err;
        }
      }),
    );
    const byId = new Map<string, GroupListing>();
    for (const g of lists.flat()) byId.set(g.groupId, { groupId: g.groupId, state: g.groupState, protocolType: g.protocolType });
    return [...byId.values()].sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
  }

  /** A group's coordinator, its members with their partitions, and its committed offsets with their lag. Rejects with `GROUP_ID_NOT_FOUND` for a group that does not exist. */
  async describeGroup(groupId: string): Promise<GroupDescription> {
    this.checkOpen();
    checkGroupId(groupId);
    return this.bounded('describeGroup', () => this.describeGroupOf(groupId));
  }

  private async describeGroupOf(groupId: string): Promise<GroupDescription> {
    let coordinator = -1;
    const described = await this.toCoordinator<P.DescribedGroup>(groupId, async (node) => {
      coordinator = node;
      const r = await this.transport.send(node, { apiKey: ApiKey.DescribeGroups, groups: [groupId] });
      const g = r.groups[0];
      return g === undefined ? { error: 'UNKNOWN_SERVER_ERROR' as ErrorCode } : g.errorCode !== 'NONE' ? { error: g.errorCode } : { value: g };
    });
    const fetched = await this.toCoordinator<P.OffsetFetchResponse>(groupId, async (node) => {
      const r = await this.transport.send(node, { apiKey: ApiKey.OffsetFetch, groupId, topics: null });
      return r.errorCode !== 'NONE' ? { error: r.errorCode } : { value: r };
    });
    if (described.groupState === 'Dead' && fetched.topics.length === 0) throw new TributaryError('GROUP_ID_NOT_FOUND', `group "${groupId}" does not exist`);
    const offsets: { topic: string; partition: number; committed: number; end: number; lag: number }[] = [];
    for (const t of fetched.topics) {
      const ends = new Map((await this.listOffsetsOf(t.name, 'latest').catch(() => [] as PartitionOffset[])).map((e) => [e.partition, e.offset]));
      for (const p of t.partitions) {
        if (p.committedOffset < 0) continue;
        const end = ends.get(p.partitionIndex) ?? -1;
        offsets.push({ topic: t.name, partition: p.partitionIndex, committed: p.committedOffset, end, lag: end < 0 ? -1 : Math.max(0, end - p.committedOffset) });
      }
    }
    offsets.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
    return {
      groupId,
      coordinator,
      state: described.groupState,
      protocol: described.protocolData,
      members: described.members.map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        assignment: described.protocolType === 'consumer' && m.memberAssignment.length > 0 ? decodeAssignment(m.memberAssignment).partitions.map((tp) => ({ topic: tp.topic, partition: tp.partition })) : [],
      })),
      offsets,
    };
  }

  /**
   * Moves a group's committed offsets for a topic to the earliest or latest offset, the
   * first record at or after a timestamp, or a given offset, for every partition. The group
   * must have no members (stop its consumers first): a live group would overwrite them.
   * Rejects with the coordinator's error otherwise (`UNKNOWN_MEMBER_ID` for a group with members).
   * A given offset outside a partition's earliest..latest is moved to the nearer end, as
   * Kafka's `kafka-consumer-groups.sh --reset-offsets` does. With `dryRun`, resolves with
   * the offsets it would commit and commits nothing.
   */
  async resetGroupOffsets(groupId: string, topic: string, to: OffsetSpec | number, options: { readonly dryRun?: boolean } = {}): Promise<{ partition: number; offset: number }[]> {
    this.checkOpen();
    checkGroupId(groupId);
    validateTopicName(topic);
    return this.bounded('resetGroupOffsets', () => this.resetGroupOffsetsOf(groupId, topic, to, options.dryRun === true));
  }

  private async resetGroupOffsetsOf(groupId: string, topic: string, to: OffsetSpec | number, dryRun: boolean): Promise<{ partition: number; offset: number }[]> {
    if (typeof to === 'number' && (!Number.isSafeInteger(to) || to < 0)) throw new TributaryError('INVALID_ARGUMENT', `offset must be a non-negative integer, got ${to}`, { option: 'to', topic });
    let targets: { partition: number; offset: number }[];
    if (typeof to === 'number') {
      const [starts, ends] = await Promise.all([this.listOffsetsOf(topic, 'earliest'), this.listOffsetsOf(topic, 'latest')]);
      const end = new Map(ends.map((e) => [e.partition, e.offset]));
      targets = starts.map((s) => ({ partition: s.partition, offset: Math.min(Math.max(to, s.offset), end.get(s.partition)!) }));
    } else {
      const found = await this.listOffsetsOf(topic, to);
      // No record at or after the timestamp: the partition's end, looked up once for all.
      const ends = found.some((p) => p.offset < 0) ? await this.listOffsetsOf(topic, 'latest') : [];
      targets = found.map((p) => ({ partition: p.partition, offset: p.offset >= 0 ? p.offset : ends.find((e) => e.partition === p.partition)!.offset }));
    }
    if (dryRun) return targets;
    await this.toCoordinator<undefined>(groupId, async (node) => {
      const r = await this.transport.send(node, {
        apiKey: ApiKey.OffsetCommit,
        groupId,
        generationId: -1,
        memberId: '',
        topics: [{ name: topic, partitions: targets.map((t) => ({ partitionIndex: t.partition, committedOffset: t.offset, committedMetadata: null })) }],
      });
      const failed = r.topics.flatMap((t) => t.partitions).find((p) => p.errorCode !== 'NONE');
      return failed ? { error: failed.errorCode } : { value: undefined };
    });
    return targets;
  }

  /**
   * Commits the given offsets for a group, each partition its own (Kafka's
   * `alterConsumerGroupOffsets`; `resetGroupOffsets` moves a whole topic to one position).
   * The group must have no members: rejects with `UNKNOWN_MEMBER_ID` otherwise, as Kafka.
   *
   * @example
   * ```ts
   * import { Cluster } from 'tributary-log';
   *
   * await using cluster = await Cluster.start();
   * const admin = cluster.admin();
   * await admin.createTopics([{ name: 'orders', partitions: 2 }]);
   * await admin.alterGroupOffsets('billing', [{ topic: 'orders', partition: 0, offset: 0 }, { topic: 'orders', partition: 1, offset: 0 }]);
   * console.log((await admin.describeGroup('billing')).offsets.length); // 2
   * ```
   */
  async alterGroupOffsets(groupId: string, offsets: readonly { readonly topic: string; readonly partition: number; readonly offset: number }[]): Promise<void> {
    this.checkOpen();
    checkGroupId(groupId);
    const byTopic = partitionsByTopic(offsets, 'alterGroupOffsets', true);
    await this.bounded('alterGroupOffsets', () => this.toCoordinator<undefined>(groupId, async (node) => {
      const topics = [...byTopic].map(([name, ps]) => ({ name, partitions: ps.map((p) => ({ partitionIndex: p.partition, committedOffset: p.offset!, committedMetadata: null })) }));
      const r = await this.transport.send(node, { apiKey: ApiKey.OffsetCommit, groupId, generationId: -1, memberId: '', topics });
      const failed = r.topics.flatMap((t) => t.partitions).find((p) => p.errorCode !== 'NONE');
      return failed ? { error: failed.errorCode } : { value: undefined };
    }));
  }

  /**
   * Deletes a group's committed offsets for some partitions (KIP-496, Kafka's
   * `deleteConsumerGroupOffsets`). Rejects with `GROUP_SUBSCRIBED_TO_TOPIC` for a topic the
   * group's members still read, `GROUP_ID_NOT_FOUND` for a group that does not exist.
   */
  async deleteGroupOffsets(groupId: string, partitions: readonly TopicPartition[]): Promise<void> {
    this.checkOpen();
    checkGroupId(groupId);
    const byTopic = partitionsByTopic(partitions, 'deleteGroupOffsets', false);
    const answered = await this.bounded('deleteGroupOffsets', () => this.toCoordinator<P.OffsetDeleteResponse['topics']>(groupId, async (node) => {
      const topics = [...byTopic].map(([name, ps]) => ({ name, partitions: ps.map((p) => ({ partitionIndex: p.partition })) }));
      const r = await this.transport.send(node, { apiKey: ApiKey.OffsetDelete, groupId, topics });
      return r.errorCode !== 'NONE' ? { error: r.errorCode } : { value: r.topics };
    }));
    for (const t of answered) {
      const failed = t.partitions.find((p) => p.errorCode !== 'NONE');
      if (failed?.errorCode === 'GROUP_SUBSCRIBED_TO_TOPIC') throw new TributaryError(failed.errorCode, `group "${groupId}" still reads topic "${t.name}": stop its consumers (or drop the topic from their topics) first`, { topic: t.name });
      if (failed !== undefined) throw new TributaryError(failed.errorCode, `group "${groupId}" topic "${t.name}" partition ${failed.partitionIndex}: ${failed.errorCode}`, { topic: t.name, partition: failed.partitionIndex });
    }
  }

  /** Deletes a group and its committed offsets. Rejects with `NON_EMPTY_GROUP` while it has members, `GROUP_ID_NOT_FOUND` when there is none. */
  async deleteGroup(groupId: string): Promise<void> {
    this.checkOpen();
    checkGroupId(groupId);
    await this.bounded('deleteGroup', () => this.toCoordinator<undefined>(groupId, async (node) => {
      const r = await this.transport.send(node, { apiKey: ApiKey.DeleteGroups, groupsNames: [groupId] });
      const res = r.results[0];
      return res === undefined ? { error: 'UNKNOWN_SERVER_ERROR' as ErrorCode } : res.errorCode !== 'NONE' ? { error: res.errorCode } : { value: undefined };
    }));
  }

  /** Stops the client; further calls reject with `CLIENT_CLOSED`. */
  close(): void {
    this.closed = true;
  }

  /** `await using admin = cluster.admin()` closes it at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }

  // ------------------------------------------------------------------ internals

  /** Sends to any live node, trying the next on a network error, until the timeout. */
  private async toAnyNode<R extends Request>(request: R): Promise<ResponseFor<R>> {
    if (this.closed) throw new TributaryError('CLIENT_CLOSED', 'the admin client is closed');
    const deadline = this.clock.monotonic() + this.timeoutMs;
    let last: unknown;
    for (let attempt = 0; ; attempt++) {
      const nodes = this.metadata.nodes();
      for (const node of nodes) {
        try {
          return await this.transport.send(node, request);
        } catch (err) {
          if (!isTributaryError(err) || !err.retriable) throw err;
          last = err;
          this.lastFailure = { err, atMs: this.clock.monotonic() };
        }
      }
      if (this.clock.monotonic() >= deadline) throw last ?? new TributaryError('NETWORK_EXCEPTION', 'no node reachable');
      await delay(Math.min(200, 10 * 2 ** attempt), this.clock);
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new TributaryError('CLIENT_CLOSED', 'the admin client is closed');
  }

  /**
   * Runs one admin call within `requestTimeoutMs`, retries included: a bound even when a
   * request waits on a controller that is not there (a lost quorum), whose own wait is
   * longer. The work left behind is not called back; its outcome is ignored.
   */
  private bounded<T>(what: string, call: () => Promise<T>): Promise<T> {
    const startedMs = this.clock.monotonic();
    return withTimeout(call(), this.timeoutMs, `admin ${what}`, this.clock).catch((err: unknown) => {
      // A call that timed out while no node answered says why (a refused connection, say).
      const f = this.lastFailure;
      if (isTributaryError(err) && err.code === 'REQUEST_TIMED_OUT' && f !== undefined && f.atMs >= startedMs) {
        throw new TributaryError('REQUEST_TIMED_OUT', `${err.message}; no node answered its last request (${f.err.message}): check that the cluster is running and reachable at the address given`, { cause: f.err });
      }
      throw err;
    });
  }

  /** Runs `call` against a group's coordinator (FindCoordinator first), retrying while the coordinator moves or loads, until the timeout. */
  private async toCoordinator<T>(groupId: string, call: (node: number) => Promise<{ value: T } | { error: ErrorCode }>): Promise<T> {
    this.checkOpen();
    checkGroupId(groupId);
    const deadline = this.clock.monotonic() + this.timeoutMs;
    for (let attempt = 0; ; attempt++) {
      let error: ErrorCode;
      try {
        const found = await this.toAnyNode({ apiKey: ApiKey.FindCoordinator, keyType: 0, coordinatorKeys: [groupId] });
        const c = found.coordinators[0];
        if (c === undefined || c.errorCode !== 'NONE') error = c?.errorCode ?? 'COORDINATOR_NOT_AVAILABLE';
        else {
          const r = await call(c.nodeId);
          if ('value' in r) return r.value;
          error = r.error;
        }
      } catch (err) {
        if (!isTributaryError(err)) throw err;
        error = err.code;
      }
      const retriable = error === 'NOT_COORDINATOR' || error === 'COORDINATOR_LOAD_IN_PROGRESS' || error === 'COORDINATOR_NOT_AVAILABLE' || error === 'NETWORK_EXCEPTION';
      if (!retriable || this.clock.monotonic() >= deadline) throw new TributaryError(error, groupErrorMessage(groupId, error));
      await delay(Math.min(200, 10 * 2 ** attempt), this.clock);
    }
  }

  /** Runs `call` against a partition's leader, refreshing metadata and retrying on stale-leader errors, until the timeout. */
  private async toLeader<T>(topic: string, partition: number, call: (leader: number) => Promise<{ value: T } | { error: ErrorCode }>): Promise<T> {
    if (this.closed) throw new TributaryError('CLIENT_CLOSED', 'the admin client is closed');
    const deadline = this.clock.monotonic() + this.timeoutMs;
    for (;;) {
      const info = await this.metadata.waitForTopic(topic, deadline, existingTopic);
      if (!info.partitions[partition]) throw new TributaryError('UNKNOWN_TOPIC_OR_PARTITION', `topic "${topic}" has no partition ${partition}`, { topic, partition });
      const leader = this.metadata.leader(topic, partition);
      let error: ErrorCode = 'LEADER_NOT_AVAILABLE';
      if (leader) {
        try {
          const r = await call(leader.leaderId);
          if ('value' in r) return r.value;
          error = r.error;
        } catch (err) {
          if (!isTributaryError(err)) throw err;
          error = err.code;
        }
      }
      const retriable = errorCodes[error].retriable;
      if (!retriable || this.clock.monotonic() >= deadline) throw new TributaryError(error, `topic "${topic}" partition ${partition}: ${error}`, { topic, partition });
      this.metadata.invalidate(error);
      await this.metadata.refresh().catch(() => undefined);
    }
  }

  private async waitForLeaders(topic: string, partitions?: number): Promise<void> {
    const deadline = this.clock.monotonic() + this.timeoutMs;
    for (;;) {
      // Ask the cluster each time: the cache may hold the topic as it was before the change.
      this.metadata.invalidate('UNKNOWN_TOPIC_OR_PARTITION');
      await this.metadata.refresh().catch(() => undefined);
      const info = await this.metadata.waitForTopic(topic, deadline);
      if ((partitions === undefined || info.partitions.length >= partitions) && info.partitions.every((p) => p.leaderId >= 0)) return;
      if (this.clock.monotonic() >= deadline) throw new TributaryError('LEADER_NOT_AVAILABLE', `topic "${topic}" has partitions without a leader`, { topic });
      await delay(5, this.clock);
    }
  }
}
