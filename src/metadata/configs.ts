/**
 * The topic configs the controller accepts, with Kafka's names, types, defaults and
 * validators (`TopicConfig` and `LogConfig` in Kafka 4.0), and the dynamic broker configs
 * that supply their cluster-wide defaults (`log.retention.ms` for `retention.ms`, ...).
 *
 * Values are kept as the strings the client sent, as Kafka keeps them; validation only
 * checks that they parse and are in range. A topic's effective value is resolved the
 * way Kafka resolves it: the topic's own value, else the dynamic broker config for the
 * cluster default (resource name `''`), else the static default.
 */
import { ConfigResourceType } from './records.js';
import type { MetadataView } from './image.js';

export type ConfigType = 'boolean' | 'int' | 'long' | 'double' | 'string' | 'list';

export interface ConfigDef {
  readonly name: string;
  readonly type: ConfigType;
  /** The default as Kafka prints it. */
  readonly defaultValue: string;
  /** For `string` and `list`: the values allowed (case-sensitive, as Kafka's `ValidString`). */
  readonly validValues?: readonly string[];
  /** For numbers: the inclusive bounds. */
  readonly min?: number;
  readonly max?: number;
  /** For `int`: values also allowed outside `min`..`max` (gzip's -1, "the codec's default"). */
  readonly alsoAllowed?: readonly number[];
  /**
   * For `list`: the pattern every item must match, or the value may be `*`; an empty list
   * is allowed (Kafka's `ThrottledReplicaListValidator`).
   */
  readonly itemPattern?: RegExp;
  /** A value Kafka takes only with a feature Tributary lacks (tiered storage), refused with Kafka's message. */
  readonly refused?: { readonly value: string; readonly message: string };
  /** The broker config that gives this topic config its cluster-wide default. */
  readonly brokerSynonym?: string;
}

const longMax = '9223372036854775807';

/** An item of a throttled-replicas list: `partition:broker`. */
const throttledReplica = /^[0-9]+:[0-9]+$/;

const topicConfigList: readonly ConfigDef[] = [
  { name: 'cleanup.policy', type: 'list', defaultValue: 'delete', validValues: ['compact', 'delete'], brokerSynonym: 'log.cleanup.policy' },
  {
    name: 'compression.type',
    type: 'string',
    defaultValue: 'producer',
    validValues: ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'],
    brokerSynonym: 'compression.type',
  },
  // The codec levels (KIP-390): the broker's recompression (broker/recompression.ts) uses
  // the gzip and zstd levels; lz4's is accepted and not applied (no lz4 levels here).
  { name: 'compression.gzip.level', type: 'int', defaultValue: '-1', min: 1, max: 9, alsoAllowed: [-1], brokerSynonym: 'compression.gzip.level' },
  { name: 'compression.lz4.level', type: 'int', defaultValue: '9', min: 1, max: 17, brokerSynonym: 'compression.lz4.level' },
  { name: 'compression.zstd.level', type: 'int', defaultValue: '3', min: -131072, max: 22, brokerSynonym: 'compression.zstd.level' },
  { name: 'delete.retention.ms', type: 'long', defaultValue: '86400000', min: 0, brokerSynonym: 'log.cleaner.delete.retention.ms' },
  { name: 'file.delete.delay.ms', type: 'long', defaultValue: '60000', min: 0, brokerSynonym: 'log.segment.delete.delay.ms' },
  { name: 'flush.messages', type: 'long', defaultValue: longMax, min: 1, brokerSynonym: 'log.flush.interval.messages' },
  { name: 'flush.ms', type: 'long', defaultValue: longMax, min: 0, brokerSynonym: 'log.flush.interval.ms' },
  // Replication quotas: Kafka throttles these replicas only under a broker's
  // leader/follower.replication.throttled.rate, which Tributary does not have (Kafka's
  // default rate is unlimited), so they are accepted, described and change nothing.
  { name: 'follower.replication.throttled.replicas', type: 'list', defaultValue: '', itemPattern: throttledReplica },
  { name: 'index.interval.bytes', type: 'int', defaultValue: '4096', min: 0, brokerSynonym: 'log.index.interval.bytes' },
  { name: 'leader.replication.throttled.replicas', type: 'list', defaultValue: '', itemPattern: throttledReplica },
  // Tiered storage (KIP-405): Tributary has none, as a Kafka broker without
  // remote.log.storage.system.enable. Kafka then refuses remote.storage.enable=true, and the
  // other four, accepted, change nothing.
  { name: 'local.retention.bytes', type: 'long', defaultValue: '-2', min: -2, brokerSynonym: 'log.local.retention.bytes' },
  { name: 'local.retention.ms', type: 'long', defaultValue: '-2', min: -2, brokerSynonym: 'log.local.retention.ms' },
  { name: 'max.compaction.lag.ms', type: 'long', defaultValue: longMax, min: 1, brokerSynonym: 'log.cleaner.max.compaction.lag.ms' },
  { name: 'max.message.bytes', type: 'int', defaultValue: '1048588', min: 0, brokerSynonym: 'message.max.bytes' },
  {
    name: 'message.timestamp.type',
    type: 'string',
    defaultValue: 'CreateTime',
    validValues: ['CreateTime', 'LogAppendTime'],
    brokerSynonym: 'log.message.timestamp.type',
  },
  { name: 'message.timestamp.before.max.ms', type: 'long', defaultValue: longMax, min: 0, brokerSynonym: 'log.message.timestamp.before.max.ms' },
  { name: 'message.timestamp.after.max.ms', type: 'long', defaultValue: '3600000', min: 0, brokerSynonym: 'log.message.timestamp.after.max.ms' },
  { name: 'min.cleanable.dirty.ratio', type: 'double', defaultValue: '0.5', min: 0, max: 1, brokerSynonym: 'log.cleaner.min.cleanable.ratio' },
  { name: 'min.compaction.lag.ms', type: 'long', defaultValue: '0', min: 0, brokerSynonym: 'log.cleaner.min.compaction.lag.ms' },
  { name: 'min.insync.replicas', type: 'int', defaultValue: '1', min: 1, brokerSynonym: 'min.insync.replicas' },
  { name: 'preallocate', type: 'boolean', defaultValue: 'false', brokerSynonym: 'log.preallocate' },
  { name: 'remote.log.copy.disable', type: 'boolean', defaultValue: 'false' },
  { name: 'remote.log.delete.on.disable', type: 'boolean', defaultValue: 'false' },
  {
    name: 'remote.storage.enable',
    type: 'boolean',
    defaultValue: 'false',
    refused: { value: 'true', message: 'Tiered Storage functionality is disabled in the broker. Topic cannot be configured with remote log storage.' },
  },
  { name: 'retention.bytes', type: 'long', defaultValue: '-1', brokerSynonym: 'log.retention.bytes' },
  { name: 'retention.ms', type: 'long', defaultValue: '604800000', min: -1, brokerSynonym: 'log.retention.ms' },
  { name: 'segment.bytes', type: 'int', defaultValue: '1073741824', min: 14, brokerSynonym: 'log.segment.bytes' },
  { name: 'segment.index.bytes', type: 'int', defaultValue: '10485760', min: 4, brokerSynonym: 'log.index.size.max.bytes' },
  { name: 'segment.jitter.ms', type: 'long', defaultValue: '0', min: 0, brokerSynonym: 'log.roll.jitter.ms' },
  { name: 'segment.ms', type: 'long', defaultValue: '604800000', min: 1, brokerSynonym: 'log.roll.ms' },
  { name: 'unclean.leader.election.enable', type: 'boolean', defaultValue: 'false', brokerSynonym: 'unclean.leader.election.enable' },
];

/** Topic configs by name. */
export const topicConfigDefs: ReadonlyMap<string, ConfigDef> = new Map(topicConfigList.map((d) => [d.name, d]));

/** Dynamic broker configs by name: the cluster-wide defaults of the topic configs. */
export const brokerConfigDefs: ReadonlyMap<string, ConfigDef> = new Map(
  topicConfigList.filter((d) => d.brokerSynonym !== undefined).map((d) => [d.brokerSynonym!, { ...d, name: d.brokerSynonym!, brokerSynonym: undefined }]),
);

/** The definitions for a resource type. */
export function configDefs(resourceType: ConfigResourceType): ReadonlyMap<string, ConfigDef> {
  return resourceType === ConfigResourceType.Topic ? topicConfigDefs : brokerConfigDefs;
}

const int32Min = -(2 ** 31);
const int32Max = 2 ** 31 - 1;
const int64Min = -(2n ** 63n);
const int64Max = 2n ** 63n - 1n;

/**
 * Why `value` is not valid for `def`, or undefined if it is. Parsing follows Kafka's
 * `ConfigDef.parseType`: surrounding whitespace is ignored, booleans are `true`/`false`
 * in any case, numbers are decimal.
 */
export function configValueProblem(def: ConfigDef, value: string): string | undefined {
  const v = value.trim();
  switch (def.type) {
    case 'boolean':
      if (!/^(true|false)$/i.test(v)) return `${def.name} must be true or false, not ${JSON.stringify(value)}`;
      return def.refused !== undefined && v.toLowerCase() === def.refused.value ? def.refused.message : undefined;
    case 'int':
    case 'long': {
      if (!/^[+-]?\d+$/.test(v)) return `${def.name} must be an integer, not ${JSON.stringify(value)}`;
      const n = BigInt(v);
      const [lo, hi] = def.type === 'int' ? [BigInt(int32Min), BigInt(int32Max)] : [int64Min, int64Max];
      if (n < lo || n > hi) return `${def.name} ${v} is out of range for a${def.type === 'int' ? 'n int' : ' long'}`;
      return def.alsoAllowed?.includes(Number(n)) === true ? undefined : rangeProblem(def, Number(n));
    }
    case 'double': {
      const n = v === '' ? Number.NaN : Number(v);
      if (!Number.isFinite(n)) return `${def.name} must be a number, not ${JSON.stringify(value)}`;
      return rangeProblem(def, n);
    }
    case 'string':
      if (def.validValues !== undefined && !def.validValues.includes(v)) return `${def.name} must be one of ${def.validValues.join(', ')}, not ${JSON.stringify(value)}`;
      return undefined;
    case 'list': {
      const items = splitList(v);
      if (def.itemPattern !== undefined) {
        if (v === '*' || items.every((item) => def.itemPattern!.test(item))) return undefined;
        return `${def.name} must be the literal '*' or a list of replicas in the format [partitionId]:[brokerId],[partitionId]:[brokerId],..., not ${JSON.stringify(value)}`;
      }
      if (items.length === 0) return `${def.name} must not be empty`;
      for (const item of items) {
        if (def.validValues !== undefined && !def.validValues.includes(item)) return `${def.name} items must be among ${def.validValues.join(', ')}, not ${JSON.stringify(item)}`;
      }
      return undefined;
    }
  }
}

function rangeProblem(def: ConfigDef, n: number): string | undefined {
  if (def.min !== undefined && n < def.min) return `${def.name} must be at least ${def.min}, not ${n}`;
  if (def.max !== undefined && n > def.max) return `${def.name} must be at most ${def.max}, not ${n}`;
  return undefined;
}

/** The items of a list config value: comma-separated, trimmed, empty items dropped. */
export function splitList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

import type { ConfigSource } from '../protocol/common.js';
export type { ConfigSource };

export interface EffectiveConfig {
  readonly name: string;
  readonly value: string;
  readonly source: ConfigSource;
}

/**
 * The effective value of a topic config: the topic's own, else (on a broker, `broker` its
 * id as a resource name) that broker's dynamic value of the broker config, else the
 * cluster-wide broker default, else the static default: Kafka's order.
 */
export function effectiveTopicConfig(view: MetadataView, topic: string, name: string, broker?: string): EffectiveConfig {
  const def = topicConfigDefs.get(name);
  if (def === undefined) throw new RangeError(`unknown topic config ${name}`);
  const own = view.configs(ConfigResourceType.Topic, topic).get(name);
  if (own !== undefined) return { name, value: own, source: 'TOPIC_CONFIG' };
  if (def.brokerSynonym !== undefined) {
    if (broker !== undefined) {
      const perBroker = view.configs(ConfigResourceType.Broker, broker).get(def.brokerSynonym);
      if (perBroker !== undefined) return { name, value: perBroker, source: 'DYNAMIC_BROKER_CONFIG' };
    }
    const clusterWide = view.configs(ConfigResourceType.Broker, '').get(def.brokerSynonym);
    if (clusterWide !== undefined) return { name, value: clusterWide, source: 'DYNAMIC_DEFAULT_BROKER_CONFIG' };
  }
  return { name, value: def.defaultValue, source: 'DEFAULT_CONFIG' };
}

/** The effective value of a broker config for a broker resource (a broker id, or `''` for the cluster default). */
export function effectiveBrokerConfig(view: MetadataView, resourceName: string, name: string): EffectiveConfig {
  const def = brokerConfigDefs.get(name);
  if (def === undefined) throw new RangeError(`unknown broker config ${name}`);
  if (resourceName !== '') {
    const own = view.configs(ConfigResourceType.Broker, resourceName).get(name);
    if (own !== undefined) return { name, value: own, source: 'DYNAMIC_BROKER_CONFIG' };
  }
  const clusterWide = view.configs(ConfigResourceType.Broker, '').get(name);
  if (clusterWide !== undefined) return { name, value: clusterWide, source: 'DYNAMIC_DEFAULT_BROKER_CONFIG' };
  return { name, value: def.defaultValue, source: 'DEFAULT_CONFIG' };
}

/** Whether a boolean config value means true. */
export function isTrue(value: string): boolean {
  return value.trim().toLowerCase() === 'true';
}
