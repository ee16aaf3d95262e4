/**
 * The read-only broker configs (`metadata/broker-configs.ts`) with the values this node
 * really runs with, from the settings it was started with: the broker's own config, the
 * controller's defaults for new topics, the group coordinator's defaults, and the node's
 * identity, folder and quorum. DescribeConfigs of the node's BROKER resource lists them.
 * @internal
 */
import type { MetadataView } from '../metadata/image.js';
import { frameBytesMax } from '../protocol/wire/codec.js';
import type { BrokerConfig } from './broker.js';
import { defaultGroupCoordinatorConfig } from './core/group-coordinator.js';
import { defaultGroupShellConfig } from './group-shell.js';
import { fetchBytesDefault } from './partition.js';
import { fetchMaxBytesDefault } from './replica-manager.js';

/** What a node was started with that its static configs come from; everything is optional (a broker made alone in a test has less). */
export interface NodeConfigSettings {
  readonly nodeId: number;
  readonly clusterId?: string;
  /** The node's folder (`<dataDir>/node-<id>`). */
  readonly dataDir?: string;
  /** The metadata quorum's voter ids. */
  readonly voters?: readonly number[];
  readonly electionTimeoutMs?: number;
  /** The controller's settings that are broker configs in Kafka. */
  readonly controller?: { readonly brokerSessionTimeoutMs?: number; readonly defaultReplicationFactor?: number; readonly defaultNumPartitions?: number };
  readonly broker: BrokerConfig;
}

/** The controller's defaults (`Controller`), where a node was given none. */
const controllerDefaults = { brokerSessionTimeoutMs: 2000, defaultNumPartitions: 1 };
/** RaftNode's default election timeout. */
const electionTimeoutMsDefault = 300;
/** The replica fetcher's back-off after a failed fetch (replica-fetcher.ts). */
const replicaFetchBackoffMs = 100;
/** `__consumer_offsets` segment size, as the group shell creates it (Kafka's default). */
const offsetsSegmentBytes = 100 * 1024 * 1024;

/** Name to value of every read-only broker config, as this node applies it (`view`: for the voters’ addresses and the broker count). */
export function staticBrokerConfigs(s: NodeConfigSettings, view: MetadataView | undefined): Map<string, string> {
  const b = s.broker;
  const c = s.controller ?? {};
  const coordinator = { ...defaultGroupCoordinatorConfig, ...defaultGroupShellConfig.coordinator };
  const listener = `${b.listenerName ?? 'PLAINTEXT'}://${b.host}:${b.port}`;
  const voters = s.voters ?? [s.nodeId];
  let brokers = 0;
  view?.forEachBroker(() => brokers++);
  const voterText = voters
    .map((id) => {
      const e = view?.broker(id)?.endpoints[0];
      return e === undefined ? undefined : `${id}@${e.host}:${e.port}`;
    })
    .filter((v) => v !== undefined);
  const out = new Map<string, string>([
    ['node.id', String(s.nodeId)],
    ['broker.id', String(s.nodeId)],
    ['process.roles', voters.includes(s.nodeId) ? 'broker,controller' : 'broker'],
    ['controller.quorum.election.timeout.ms', String(s.electionTimeoutMs ?? electionTimeoutMsDefault)],
    ['broker.heartbeat.interval.ms', String(b.heartbeatIntervalMs)],
    ['broker.session.timeout.ms', String(c.brokerSessionTimeoutMs ?? controllerDefaults.brokerSessionTimeoutMs)],
    ['listeners', listener],
    ['advertised.listeners', listener],
    ['listener.security.protocol.map', `${b.listenerName ?? 'PLAINTEXT'}:${b.listenerName ?? 'PLAINTEXT'}`],
    ['socket.request.max.bytes', String(frameBytesMax)],
    ['fetch.max.bytes', String(b.fetchMaxBytes ?? fetchMaxBytesDefault)],
    ['num.partitions', String(c.defaultNumPartitions ?? controllerDefaults.defaultNumPartitions)],
    ['default.replication.factor', String(c.defaultReplicationFactor ?? Math.min(3, Math.max(1, voters.length)))],
    ['auto.create.topics.enable', String(b.autoCreateTopicsEnable)],
    ['delete.topic.enable', 'true'],
    ['log.retention.hours', '168'],
    ['log.roll.hours', '168'],
    ['log.roll.jitter.hours', '0'],
    ['log.retention.check.interval.ms', String(b.logRetentionCheckIntervalMs)],
    ['log.cleaner.enable', 'true'],
    ['num.recovery.threads.per.data.dir', '1'],
    ['num.replica.fetchers', '1'],
    ['replica.lag.time.max.ms', String(b.replicaLagTimeMaxMs)],
    ['replica.fetch.wait.max.ms', String(b.replicaFetchWaitMaxMs)],
    ['replica.fetch.min.bytes', '1'],
    ['replica.fetch.max.bytes', String(fetchBytesDefault)],
    ['replica.fetch.response.max.bytes', String(10 * 1024 * 1024)],
    ['replica.fetch.backoff.ms', String(replicaFetchBackoffMs)],
    ['replica.high.watermark.checkpoint.interval.ms', String(b.highWatermarkCheckpointIntervalMs)],
    ['offsets.topic.num.partitions', String(defaultGroupShellConfig.offsetsTopicPartitions)],
    ['offsets.topic.replication.factor', String(defaultGroupShellConfig.offsetsTopicReplicationFactor ?? Math.min(3, Math.max(1, brokers)))],
    ['offsets.topic.segment.bytes', String(offsetsSegmentBytes)],
    ['offsets.retention.minutes', String(Math.floor(coordinator.offsetsRetentionMs / 60_000))],
    ['offsets.retention.check.interval.ms', String(coordinator.offsetsRetentionCheckIntervalMs)],
    ['offsets.commit.timeout.ms', String(defaultGroupShellConfig.commitTimeoutMs)],
    ['offset.metadata.max.bytes', String(coordinator.offsetMetadataMaxBytes)],
    ['group.min.session.timeout.ms', String(coordinator.groupMinSessionTimeoutMs)],
    ['group.max.session.timeout.ms', String(coordinator.groupMaxSessionTimeoutMs)],
    ['group.initial.rebalance.delay.ms', String(coordinator.groupInitialRebalanceDelayMs)],
    ['group.max.size', String(coordinator.groupMaxSize)],
    ['group.coordinator.rebalance.protocols', 'classic'],
  ]);
  if (voterText.length > 0) out.set('controller.quorum.voters', voterText.join(','));
  if (s.clusterId !== undefined) out.set('cluster.id', s.clusterId);
  if (s.dataDir !== undefined) {
    out.set('log.dirs', s.dataDir);
    out.set('log.dir', s.dataDir);
  }
  return out;
}
