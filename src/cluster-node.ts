/**
 * One node of a `Cluster`: a metadata replica (a controller voter for the first 1, 3 or
 * 5 nodes, KRaft's combined mode; an observer otherwise) and a broker, in one data
 * folder:
 *
 * ```
 * <dataDir>/node-<id>/
 *   meta.properties           node id and cluster id
 *   __cluster_metadata-0/     the Raft log, its vote and snapshots
 *   <topic>-<partition>/      the replicas this node hosts
 *   replication-offset-checkpoint
 * ```
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Broker, type BrokerConfig } from './broker/broker.js';
import { ControllerNode } from './controller/controller-node.js';
import { groupShellOf, installGroupShell } from './broker/group-shell.js';
import type { ControllerConfig } from './metadata/controller.js';
import type { MetadataImage } from './metadata/image.js';
import { randomUuid } from './metadata/uuid.js';
import { ControllerLink } from './node/controller-link.js';
import { NodeEndpoint } from './node/node-endpoint.js';
import { BrokerLink, LeaderAndIsrSender } from './node/broker-link.js';
import { TransportRaftNetwork } from './node/raft-link.js';
import type { Transport } from './transport/transport.js';
import { writeFileAtomic } from './storage/atomic-file.js';
import { asStorageError } from './storage/log-checks.js';
import type { Store } from './storage/store.js';
import type { Clock } from './util/clock.js';
import { channels, type FencingEvent } from './util/channels.js';
import { TributaryError } from './util/errors.js';
import { silentLogger, type Logger } from './util/logger.js';
import { Rng } from './util/rng.js';

export interface ClusterNodeOptions {
  readonly id: number;
  readonly voters: readonly number[];
  readonly clusterId: string;
  readonly dataDir: string;
  /**
   * How this node reaches the other nodes (and they it): every request between nodes
   * (to the active controller, Raft's messages, replica fetches, LeaderAndIsr) goes
   * through it. The node's own `NodeEndpoint` answers the other side, handed to
   * `register` as soon as it exists.
   */
  readonly nodes: Transport;
  readonly register: (endpoint: NodeEndpoint) => void;
  /** Drops every Raft message between two nodes (partition tests). */
  readonly isRaftLinkCut?: (a: number, b: number) => boolean;
  readonly clock: Clock;
  readonly controller: Partial<ControllerConfig>;
  readonly broker: Partial<BrokerConfig>;
  readonly electionTimeoutMs?: number;
  /** The quorum is new (this start made the cluster's folder): its first voter stands without a pre-vote (`RaftCore.campaignFirst`). */
  readonly newQuorum?: boolean;
  readonly openStore?: (dir: string) => Store;
  readonly logger?: Logger;
  /** Called each time this node's controller becomes the active one. */
  readonly onControllerActivated?: (epoch: number) => void;
  /** This run of the cluster (see `Transport.clusterRunId`). */
  readonly clusterRunId?: string;
  /** Seeds this node's randomness (topic ids, placement, election timeouts, member ids); random per process otherwise. `Cluster` has no seed yet: a simulation passes one. */
  readonly seed?: number;
  /** Opens the metadata log's store (a simulation keeps it in memory); default a `FileStore`. */
  readonly openMetadataStore?: (dir: string) => Store;
}

export class ClusterNode {
  /** Set once the broker has stopped: its requests still waiting for a controller are dropped. */
  private brokerStopped = false;
  /** Set once the broker's controlled shutdown began. */
  private brokerClosing = false;

  private constructor(
    readonly id: number,
    readonly metadata: ControllerNode,
    readonly broker: Broker,
    readonly endpoint: NodeEndpoint,
    private readonly offImage: () => void,
  ) {}

  static async open(o: ClusterNodeOptions): Promise<ClusterNode> {
    const dir = join(o.dataDir, `node-${o.id}`);
    mkdirSync(dir, { recursive: true });
    checkMetaProperties(dir, o.id, o.clusterId, o.voters);
    const endpoint = new NodeEndpoint(o.id, new TransportRaftNetwork(o.nodes, o.isRaftLinkCut, o.clusterId), o.clusterId);
    o.register(endpoint);
    // Topic ids, placement and election timeouts: random per process, as in Kafka.
    const seed = o.seed ?? randomBytes(4).readUInt32BE(0);
    const metadata = await ControllerNode.open({
      id: o.id,
      seed,
      voters: o.voters,
      dataDir: dir,
      network: endpoint.raft,
      clock: o.clock,
      controller: o.controller,
      ...(o.openMetadataStore !== undefined ? { openStore: o.openMetadataStore } : {}),
      ...(o.logger !== undefined ? { logger: o.logger } : {}),
      ...(o.onControllerActivated !== undefined ? { onActivated: o.onControllerActivated } : {}),
      ...(o.electionTimeoutMs !== undefined ? { electionTimeoutMs: o.electionTimeoutMs } : {}),
      ...(o.newQuorum === true ? { newQuorum: true } : {}),
    });
    endpoint.metadata = metadata;
    let self: ClusterNode | undefined;
    // Sent again while this node leads the partition and the follower is one of its replicas.
    const leaderAndIsr = new LeaderAndIsrSender(o.nodes, o.id, o.clock, (r, topic, partition) => {
      const replica = broker.replica(topic, partition);
      return self?.brokerStopped !== true && replica?.role === 'leader' && replica.replicas.includes(r);
    });
    const broker = await openBroker(dir, metadata, () => new Broker({
      nodeId: o.id,
      dataDir: dir,
      controller: new ControllerLink(o.nodes, () => metadata.leaderId, o.clock, () => self?.brokerStopped ?? false, () => self?.brokerClosing ?? false, undefined, `broker-${o.id}`, (l) => metadata.onQuorumChange(l)),
      peers: new BrokerLink(o.nodes, `broker-${o.id}-fetcher`),
      clusterId: o.clusterId,
      incarnationId: randomUuid(new Rng(seed ^ 0x5bd1e995)),
      clock: o.clock,
      config: o.broker,
      // A leader's replica opened: its followers open theirs, told by a LeaderAndIsr request.
      onLeaderOpened: (topic, partition, replicas) => leaderAndIsr.send(metadata.image, topic, partition, replicas),
      ...(o.logger !== undefined ? { logger: o.logger } : {}),
      ...(o.openStore ? { openStore: o.openStore } : {}),
      node: { dataDir: dir, voters: o.voters, controller: o.controller, ...(o.electionTimeoutMs !== undefined ? { electionTimeoutMs: o.electionTimeoutMs } : {}) },
    }));
    broker.applyImage(metadata.image);
    const fencing = fencingReporter(o.id, metadata.image, o.logger ?? silentLogger);
    const offImage = metadata.onImage((image) => {
      broker.applyImage(image);
      groupShellOf(broker)?.imageApplied(image);
      fencing(image, metadata.isActive);
    });
    broker.start();
    installGroupShell(broker, { clock: o.clock, followsImages: true, seed: (seed ^ 0x2545f491) >>> 0, ...(o.clusterRunId !== undefined ? { clusterRunId: o.clusterRunId } : {}) });
    endpoint.broker = broker;
    self = new ClusterNode(o.id, metadata, broker, endpoint, () => {
      leaderAndIsr.close();
      offImage();
    });
    return self;
  }

  /** The broker serves the other nodes' replica fetches (once registered), or stops serving them. */
  setServing(serving: boolean): void {
    this.endpoint.serving = serving;
  }

  /**
   * Stops the broker cleanly (a controlled shutdown through the active controller), then
   * drops whatever it still has waiting for a controller. The metadata replica runs on
   * until `close`.
   */
  async closeBroker(): Promise<void> {
    this.endpoint.serving = false;
    this.brokerClosing = true;
    await this.broker.close();
    this.brokerStopped = true;
  }

  async close(): Promise<void> {
    groupShellOf(this.broker)?.close();
    await this.closeBroker();
    this.offImage();
    await this.metadata.close();
  }

  kill(): void {
    this.brokerStopped = true;
    this.endpoint.serving = false;
    groupShellOf(this.broker)?.close();
    this.broker.kill();
    this.offImage();
    this.metadata.kill();
  }
}

/**
 * Reports brokers fenced or unfenced at the same broker epoch (a new registration is not
 * a fencing), from the images this node replays: to `tributary:fencing` and the log, by
 * the active controller's node only, so each change is reported once.
 */
function fencingReporter(nodeId: number, initial: MetadataImage, log: Logger): (image: MetadataImage, active: boolean) => void {
  const seen = new Map<number, { epoch: number; fenced: boolean }>();
  const note = (image: MetadataImage, report: boolean): void => {
    image.forEachBroker((b) => {
      const before = seen.get(b.id);
      seen.set(b.id, { epoch: b.epoch, fenced: b.fenced });
      if (!report || before === undefined || before.epoch !== b.epoch || before.fenced === b.fenced) return;
      log.info({ nodeId: b.id, brokerEpoch: b.epoch, controllerId: nodeId }, b.fenced ? `node ${b.id} fenced` : `node ${b.id} unfenced: it serves`);
      if (channels.fencing.hasSubscribers) channels.fencing.publish({ nodeId: b.id, brokerEpoch: b.epoch, fenced: b.fenced } satisfies FencingEvent);
    });
  };
  note(initial, false);
  let last = initial;
  return (image, active) => {
    if (image === last) return;
    last = image;
    note(image, active);
  };
}

/**
 * Makes the node's broker (its log manager opens the folder's checkpoints). If that fails,
 * the metadata replica already open is closed (its timers, and its folder's lock, would
 * otherwise outlive the failed start), and a file system error (a node folder nothing can
 * be created or removed in: EPERM, EROFS, EACCES) becomes KAFKA_STORAGE_ERROR naming the
 * file, as the other failures of a data folder at start are.
 */
async function openBroker(dir: string, metadata: ControllerNode, make: () => Broker): Promise<Broker> {
  try {
    return make();
  } catch (err) {
    await metadata.close().catch(() => {});
    throw asStorageError(err, `cannot open the node folder ${dir}`);
  }
}

/** Checks every node folder a cluster will open before any opens, so that a refused start writes nothing. */
export function checkNodeFolders(dataDir: string, ids: readonly number[], clusterId: string, voters: readonly number[]): void {
  for (const id of ids) checkMetaProperties(join(dataDir, `node-${id}`), id, clusterId, voters, true);
}

/**
 * Kafka's `meta.properties`: a node's folder names its node id and cluster id; a mismatch
 * is refused. It also records the controller voters the folder was formatted with
 * (`controller.quorum.voters`, ids only; KIP-853 keeps them in a bootstrap checkpoint).
 * Reopening with another voter set is refused: the metadata log never recorded such a
 * change, so a new majority could elect a voter that lacks committed records and lose
 * them (three voters reopened as one, or one reopened as three whose two new, empty
 * voters outvote it). A folder from before the key existed gets it on this open.
 */
function checkMetaProperties(dir: string, nodeId: number, clusterId: string, voters: readonly number[], readOnly = false): void {
  const file = join(dir, 'meta.properties');
  let text: string | undefined;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // A node folder that is a file (ENOTDIR), a meta.properties that is a folder (EISDIR), no permission: the file is named.
    if (code !== 'ENOENT') throw new TributaryError('KAFKA_STORAGE_ERROR', `cannot read ${file}: ${code ?? String(err)}`, { cause: err });
  }
  const write = () => {
    try {
      writeFileAtomic(dir, 'meta.properties', `version=1\nnode.id=${nodeId}\ncluster.id=${clusterId}\ncontroller.quorum.voters=${voters.join(',')}\n`);
    } catch (err) {
      // A node folder nothing can be created in (EROFS, EACCES, an immutable one's EPERM), or a full disk: the file is named.
      throw new TributaryError('KAFKA_STORAGE_ERROR', `cannot write ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
    }
  };
  if (text === undefined) return readOnly ? undefined : write();
  const props = new Map(
    text
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const),
  );
  // Kafka's MetaProperties reads versions 0 and 1 and refuses any other (a later format it cannot know).
  const version = props.get('version');
  if (version !== undefined && version !== '0' && version !== '1') {
    throw new TributaryError('KAFKA_STORAGE_ERROR', `${file} is version ${version}; this version of Tributary reads versions 0 and 1`);
  }
  if (props.get('node.id') === undefined && props.get('cluster.id') === undefined) {
    throw new TributaryError('INCONSISTENT_CLUSTER_ID', `${file} names no node id and no cluster id (this is node ${nodeId} of cluster ${clusterId})`);
  }
  if (props.get('node.id') !== String(nodeId) || props.get('cluster.id') !== clusterId) {
    throw new TributaryError(
      'INCONSISTENT_CLUSTER_ID',
      `${file} belongs to node ${props.get('node.id')} of cluster ${props.get('cluster.id')}, not node ${nodeId} of cluster ${clusterId}`,
    );
  }
  const recorded = props.get('controller.quorum.voters');
  if (recorded === undefined) return readOnly ? undefined : write();
  if (recorded !== voters.join(',')) {
    const ids = recorded.split(',');
    throw new TributaryError(
      'INCONSISTENT_VOTER_SET',
      `the data folder was formatted with controller voters [${ids.join(', ')}] (${file}), not [${voters.join(', ')}]: changing the voters of an existing metadata quorum is not supported and could lose committed metadata; start it with controllers: ${ids.length}`,
    );
  }
}
