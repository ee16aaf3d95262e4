/**
 * `KafkaApis`: the one place where a broker routes each request kind to its handler,
 * Kafka's class of that name. A request is validated once here, where it enters the
 * broker (`validateRequest`), and timed for the request metrics; then:
 *
 * - Produce and Fetch go to the `ReplicaManager`; ListOffsets and DeleteRecords read or
 *   cut the leader's replica it finds;
 * - Metadata (with automatic topic creation), DescribeCluster and DescribeConfigs are
 *   answered from the metadata image;
 * - CreateTopics, DeleteTopics, CreatePartitions, AlterConfigs and IncrementalAlterConfigs
 *   are forwarded to the active controller (AlterConfigs as IncrementalAlterConfigs that
 *   replaces the resource's configs);
 * - InitProducerId takes an id from the `ProducerIdManager`;
 * - the ACL APIs answer SECURITY_DISABLED (`acl-apis.ts`: no authorizer), and the
 *   reassignment APIs are answered from the image (`partition-reassignments.ts`: no
 *   replica ever moves); DescribeLogDirs describes the node's folder
 *   (`describe-log-dirs.ts`); the transaction admin APIs answer from the producer state
 *   and an empty transaction list (`transaction-apis.ts`);
 * - the group APIs go to the group coordinator's shell, if the broker has one.
 *
 * Bad input gets an error response or a typed error, never a crash.
 * @internal
 */
import { staticBrokerConfigs, type NodeConfigSettings } from './static-broker-configs.js';
import { describeConfigs } from '../metadata/controller.js';
import type { MetadataImage } from '../metadata/image.js';
import { ApiKey } from '../protocol/api-keys.js';
import type * as P from '../protocol/index.js';
import type { Request, ResponseFor } from '../protocol/requests.js';
import { validateRequest } from '../protocol/validate.js';
import type { Clock } from '../util/clock.js';
import type { ErrorCode } from '../util/error-codes.js';
import { TributaryError, isTributaryError } from '../util/errors.js';
import { AutoTopicCreationManager } from './auto-topic-creation-manager.js';
import { BrokerLoggers, isBrokerLogger } from './broker-loggers.js';
import { silentLogger } from '../util/logger.js';
import type { BrokerConfig, ControllerChannel } from './broker.js';
import type { BrokerTopicStats } from './broker-topic-stats.js';
import { createTopicsFromClient, deleteTopicsFromClient, internalProduceMessage, isInternalTopic } from './internal-topics.js';
import { compressionTargetFor } from './log-config.js';
import { describeClusterResponse } from './metadata-response.js';
import { createAcls, deleteAcls, describeAcls } from './acl-apis.js';
import { describeLogDirs } from './describe-log-dirs.js';
import { describeProducers, describeTransactions, listTransactions } from './transaction-apis.js';
import { alterPartitionReassignments, listPartitionReassignments } from './partition-reassignments.js';
import { hasTransactionalBatch, produceRequestProblem, transactionalProduceMessage, wholeBatchBytes } from './produce-batch-checks.js';
import type { ProducerIdManager } from './producer-id-manager.js';
import type { ProduceEntry } from './hosted-partition.js';
import type { ReplicaManager } from './replica-manager.js';
import type { RequestContext } from './request-context.js';
import { duplicatePartitions, noRecords, partitionKey, perPartition } from './request-helpers.js';

/** The group coordinator's shell, as the broker hands it the group APIs. */
export type GroupHandler = (request: Request, context?: RequestContext) => Promise<unknown>;

export interface KafkaApisOptions {
  readonly nodeId: number;
  readonly clusterId: string;
  readonly config: BrokerConfig;
  readonly clock: Clock;
  readonly controller: ControllerChannel;
  readonly replicaManager: ReplicaManager;
  readonly producerIds: ProducerIdManager;
  readonly stats: BrokerTopicStats;
  /** The node's settings that DescribeConfigs reports as its read-only broker configs. */
  readonly node?: Omit<NodeConfigSettings, 'nodeId' | 'clusterId' | 'broker'>;
  /** The broker's loggers, its BROKER_LOGGER resource (default: a silent root logger). */
  readonly loggers?: BrokerLoggers;
}

export class KafkaApis {
  private readonly topicMetadata: AutoTopicCreationManager;
  private groupHandler: GroupHandler | undefined;

  constructor(private readonly o: KafkaApisOptions) {
    this.topicMetadata = new AutoTopicCreationManager({ clusterId: o.clusterId, host: o.config.host, controller: o.controller, autoCreateTopicsEnable: o.config.autoCreateTopicsEnable });
  }

  private get loggers(): BrokerLoggers {
    return (this.defaultLoggers ??= this.o.loggers ?? new BrokerLoggers(this.o.nodeId, silentLogger));
  }
  private defaultLoggers: BrokerLoggers | undefined;

  setGroupHandler(handler: GroupHandler | undefined): void {
    this.groupHandler = handler;
  }

  /** Answers one request (`context`: who sent it, when it came over a socket). */
  async handle<R extends Request>(request: R, context?: RequestContext): Promise<ResponseFor<R>> {
    const req = validateRequest(request);
    const started = performance.now();
    return (await this.dispatch(req, context).finally(() => this.o.stats.request(req.apiKey, performance.now() - started))) as ResponseFor<R>;
  }

  private async dispatch(req: Request, context: RequestContext | undefined): Promise<unknown> {
    const { controller } = this.o;
    switch (req.apiKey) {
      case ApiKey.Produce:
        return this.handleProduce(req, context);
      case ApiKey.Fetch:
        return this.handleFetch(req, context);
      case ApiKey.ListOffsets:
        return this.handleListOffsets(req, context?.apiVersion);
      case ApiKey.Metadata:
        return this.topicMetadata.metadata(this.requireImage(), req);
      case ApiKey.ApiVersions:
        return { apiKey: ApiKey.ApiVersions, errorCode: 'NONE', apiKeys: [], throttleTimeMs: 0 } satisfies P.ApiVersionsResponse;
      case ApiKey.InitProducerId:
        return this.handleInitProducerId();
      case ApiKey.CreateTopics:
        return { apiKey: ApiKey.CreateTopics, topics: await createTopicsFromClient(req, (r) => controller.submit(r)) } satisfies P.CreateTopicsResponse;
      case ApiKey.DeleteTopics:
        return { apiKey: ApiKey.DeleteTopics, responses: await deleteTopicsFromClient(req, this.o.replicaManager.metadataImage, (r) => controller.submit(r)) } satisfies P.DeleteTopicsResponse;
      case ApiKey.CreatePartitions: {
        const r = await controller.submit({ type: 'CreatePartitions', topics: req.topics, validateOnly: req.validateOnly ?? false });
        return { apiKey: ApiKey.CreatePartitions, results: r.results } satisfies P.CreatePartitionsResponse;
      }
      case ApiKey.IncrementalAlterConfigs: {
        // A BROKER_LOGGER resource is the receiving broker's (Kafka's ConfigAdminManager
        // answers it there); the rest go to the controller, and the answers keep the request's order.
        const validateOnly = req.validateOnly ?? false;
        const stored = req.resources.filter((r) => !isBrokerLogger(r));
        const r = stored.length > 0 || stored.length === req.resources.length ? await controller.submit({ type: 'IncrementalAlterConfigs', resources: stored, validateOnly }) : { responses: [] };
        if (stored.length === req.resources.length) return { apiKey: ApiKey.IncrementalAlterConfigs, responses: r.responses } satisfies P.IncrementalAlterConfigsResponse;
        const seen = new Map<string, number>();
        for (const x of req.resources) if (isBrokerLogger(x)) seen.set(x.resourceName, (seen.get(x.resourceName) ?? 0) + 1);
        let k = 0;
        const responses = req.resources.map((x): P.AlterConfigsResourceResponse => {
          if (!isBrokerLogger(x)) return r.responses[k++]!;
          if (seen.get(x.resourceName)! > 1) return { resourceType: x.resourceType, resourceName: x.resourceName, errorCode: 'INVALID_REQUEST', errorMessage: 'Each resource must appear at most once.' };
          return this.loggers.alter(x, validateOnly);
        });
        return { apiKey: ApiKey.IncrementalAlterConfigs, responses } satisfies P.IncrementalAlterConfigsResponse;
      }
      case ApiKey.AlterConfigs: {
        // Kafka's older API: SET each listed config (DELETE for a null value), and the
        // controller deletes the resource's other dynamic configs in the same change.
        const resources = req.resources.map((r) => ({ ...r, configs: r.configs.map((c) => ({ name: c.name, value: c.value, configOperation: c.value === null ? ('DELETE' as const) : ('SET' as const) })) }));
        const r = await controller.submit({ type: 'IncrementalAlterConfigs', resources, validateOnly: req.validateOnly ?? false, replace: true });
        return { apiKey: ApiKey.AlterConfigs, responses: r.responses } satisfies P.AlterConfigsResponse;
      }
      case ApiKey.DescribeConfigs: {
        const image = this.requireImage();
        const staticConfigs = staticBrokerConfigs({ ...this.o.node, nodeId: this.o.nodeId, clusterId: this.o.clusterId, broker: this.o.config }, image);
        const r = describeConfigs(image, { type: 'DescribeConfigs', resources: req.resources, includeSynonyms: req.includeSynonyms ?? false, includeDocumentation: req.includeDocumentation ?? false }, { brokerId: this.o.nodeId, staticConfigs });
        // A BROKER_LOGGER resource lists this broker's loggers (broker-loggers.ts).
        const results = r.results.map((x, i) => (isBrokerLogger(x) ? this.loggers.describe(req.resources[i]!) : x));
        return { apiKey: ApiKey.DescribeConfigs, results } satisfies P.DescribeConfigsResponse;
      }
      case ApiKey.DeleteRecords:
        return this.handleDeleteRecords(req);
      case ApiKey.OffsetForLeaderEpoch:
        return this.handleOffsetForLeaderEpoch(req);
      case ApiKey.DescribeCluster:
        return describeClusterResponse(this.requireImage(), { host: this.o.config.host, clusterId: this.o.clusterId, controllerId: controller.activeControllerId() });
      case ApiKey.DescribeAcls:
        return describeAcls(req);
      case ApiKey.CreateAcls:
        return createAcls(req);
      case ApiKey.DeleteAcls:
        return deleteAcls(req);
      case ApiKey.ListPartitionReassignments:
        return listPartitionReassignments(req);
      case ApiKey.DescribeProducers:
        return describeProducers(this.o.replicaManager, req);
      case ApiKey.ListTransactions:
        return listTransactions(req);
      case ApiKey.DescribeTransactions:
        return describeTransactions(req);
      case ApiKey.DescribeLogDirs: {
        const replicas = this.o.replicaManager;
        return describeLogDirs({ nodeId: this.o.nodeId, dataDir: this.o.node?.dataDir, image: replicas.metadataImage, replica: (t, p) => replicas.replica(t, p) }, req);
      }
      case ApiKey.AlterPartitionReassignments:
        return alterPartitionReassignments(this.requireImage(), req);
      case ApiKey.FindCoordinator:
      case ApiKey.JoinGroup:
      case ApiKey.SyncGroup:
      case ApiKey.Heartbeat:
      case ApiKey.LeaveGroup:
      case ApiKey.OffsetCommit:
      case ApiKey.OffsetFetch:
      case ApiKey.ListGroups:
      case ApiKey.DescribeGroups:
      case ApiKey.DeleteGroups:
      case ApiKey.OffsetDelete:
        if (this.groupHandler === undefined) throw new TributaryError('COORDINATOR_NOT_AVAILABLE', `broker ${this.o.nodeId} has no group coordinator`);
        return this.groupHandler(req, context);
      default:
        throw new TributaryError('UNSUPPORTED_VERSION', `broker ${this.o.nodeId} does not serve API ${req.apiKey} yet`);
    }
  }

  private requireImage(): MetadataImage {
    const image = this.o.replicaManager.metadataImage;
    if (!image) throw new TributaryError('LEADER_NOT_AVAILABLE', `broker ${this.o.nodeId} has no metadata yet`);
    return image;
  }

  /**
   * Each partition in Kafka's order (`KafkaApis.handleProduceRequest`, then
   * `ReplicaManager.appendRecords` and `appendToLocalLog`): a transactional batch anywhere
   * refuses the whole request; then per partition an unknown topic or partition
   * (UNKNOWN_TOPIC_OR_PARTITION), the request-level record checks
   * (`produceRequestProblem`: no batch, message format, zstd below v7, more than one
   * batch), `acks` other than -1, 0, 1 (INVALID_REQUIRED_ACKS: `ReplicaManager.appendRecords`
   * checks it first, for what reached it), an internal topic (INVALID_TOPIC_EXCEPTION), leadership
   * (NOT_LEADER_OR_FOLLOWER), and last the leader's validation of the batch. So a batch
   * two rules refuse gets the answer Kafka gives.
   */
  private async handleProduce(req: P.ProduceRequest, context: RequestContext | undefined): Promise<P.ProduceResponse> {
    const now = this.o.clock.monotonic();
    const image = this.o.replicaManager.metadataImage;
    const apiVersion = context?.apiVersion;
    // The whole request in one call (one pass over its partitions: replica-manager.ts).
    const entries: ProduceEntry[] = [];
    // What is answered here, by the partition's place in the request (none, mostly: no array then).
    let early: (P.PartitionProduceResponse | undefined)[] | undefined;
    let transactional = false;
    const acksValid = req.acks === -1 || req.acks === 0 || req.acks === 1;
    let place = 0;
    for (const t of req.topicData) {
      const topic = image?.topic(t.name);
      const internal = isInternalTopic(t.name);
      for (const pd of t.partitionData) {
        transactional ||= hasTransactionalBatch(pd.records);
        const known = topic !== undefined && pd.index >= 0 && pd.index < topic.partitions.length;
        // An unknown topic or partition is the replica manager's to answer, from the same image.
        const problem = known ? produceRequestProblem(pd.records, apiVersion) : undefined;
        if (problem !== undefined) (early ??= [])[place] = produceError(pd.index, problem.errorCode, problem.message);
        else if (!acksValid) (early ??= [])[place] = produceError(pd.index, known ? 'INVALID_REQUIRED_ACKS' : 'UNKNOWN_TOPIC_OR_PARTITION', null);
        else if (internal) (early ??= [])[place] = produceError(pd.index, known ? 'INVALID_TOPIC_EXCEPTION' : 'UNKNOWN_TOPIC_OR_PARTITION', known ? internalProduceMessage(t.name) : null);
        // Partial bytes after the one whole batch are dropped, as Kafka's `trimInvalidBytes` drops them.
        else entries.push({ topic: t.name, index: pd.index, records: known && pd.records !== null ? wholeBatchBytes(pd.records) : pd.records });
        place++;
      }
    }
    if (transactional) return refuseProduce(req, 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED', transactionalProduceMessage);
    const answers = entries.length > 0 ? await this.o.replicaManager.appendRecords(entries, req.acks, req.timeoutMs, now) : [];
    let k = 0;
    place = 0; // (only counted when something was answered early)
    const responses = req.topicData.map((t): P.TopicProduceResponse => {
      const partitionResponses = t.partitionData.map((): P.PartitionProduceResponse => early?.[place++] ?? answers[k++]!);
      return { name: t.name, partitionResponses };
    });
    return { apiKey: ApiKey.Produce, responses, throttleTimeMs: 0 };
  }

  /**
   * A Fetch, served by the replica manager, then answered as Kafka answers two cases its
   * read does not decide (`KafkaApis.handleFetchRequest`, `Partition.getLocalLog`):
   *
   * - a partition this broker holds a replica of but does not lead, fetched with a
   *   `current_leader_epoch` other than the one this broker knows: FENCED_LEADER_EPOCH
   *   (the fetcher's epoch is older) or UNKNOWN_LEADER_EPOCH (newer), not
   *   NOT_LEADER_OR_FOLLOWER: Kafka checks the epoch before leadership, so a consumer
   *   still fetching from the old leader learns that its metadata is stale;
   * - a Fetch below v10 (before zstd, KIP-110) of a partition whose topic has
   *   `compression.type=zstd`: UNSUPPORTED_COMPRESSION_TYPE for that partition, the rest
   *   served (after the read, as Kafka converts its answer). Kafka decides on the topic's
   *   setting, not on the batches: a zstd batch a producer sent to a `producer` topic
   *   reaches such a fetcher as it is, in Kafka and here.
   *
   * The answer names the request's topics and partitions in its order (`readFromLocalLog`).
   */
  private async handleFetch(req: P.FetchRequest, context: RequestContext | undefined): Promise<P.FetchResponse> {
    const response = await this.o.replicaManager.fetchMessages(req);
    const image = this.o.replicaManager.metadataImage;
    if (image === undefined) return response;
    const apiVersion = context?.apiVersion;
    const oldFetcher = apiVersion !== undefined && apiVersion < 10;
    const broker = String(this.o.nodeId);
    let responses: P.FetchTopicResponse[] | undefined;
    for (let i = 0; i < response.responses.length; i++) {
      const t = response.responses[i]!;
      const asked = req.topics[i];
      const zstd = oldFetcher && compressionTargetFor(image, t.topic, broker) === 'zstd';
      let partitions: P.FetchPartitionResponse[] | undefined;
      for (let k = 0; k < t.partitions.length; k++) {
        const p = t.partitions[k]!;
        let errorCode: ErrorCode | undefined = zstd ? 'UNSUPPORTED_COMPRESSION_TYPE' : undefined;
        if (errorCode === undefined && (p.errorCode === 'NOT_LEADER_OR_FOLLOWER' || p.errorCode === 'LEADER_NOT_AVAILABLE')) {
          const epoch = asked?.topic === t.topic ? (asked.partitions[k]?.currentLeaderEpoch ?? -1) : -1;
          const before = epochBeforeLeadership(image, this.o.nodeId, t.topic, p.partitionIndex, epoch, p.errorCode);
          if (before !== p.errorCode) errorCode = before;
        }
        if (errorCode === undefined) continue;
        // Kafka's zstd refusal is `FetchResponse.partitionResponse` as it is (records null);
        // an epoch answer comes from its `readFromLog` (records empty, as every other error).
        (partitions ??= [...t.partitions])[k] = { partitionIndex: p.partitionIndex, errorCode, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, abortedTransactions: null, preferredReadReplica: -1, records: zstd ? null : noRecords };
      }
      if (partitions !== undefined) (responses ??= [...response.responses])[i] = { topic: t.topic, partitions };
    }
    return responses === undefined ? response : { ...response, responses };
  }

  /**
   * Kafka's `ReplicaManager.fetchOffset`: per partition, a partition named twice
   * (INVALID_REQUEST), then a target the request's version may not carry
   * (`isListOffsetsTimestampUnsupported`, KAFKA-17331: -3 from v7, -4 from v8, -5 from v9,
   * any other negative value never: UNSUPPORTED_VERSION, before the partition is looked
   * up), then leadership and the epoch. `apiVersion`: the wire's, undefined in process (the newest).
   */
  private async handleListOffsets(req: P.ListOffsetsRequest, apiVersion: number | undefined): Promise<P.ListOffsetsResponse> {
    const duplicated = duplicatePartitions(req.topics);
    const topics = await perPartition(req.topics, (t) => t.partitions, (name, partitions: P.ListOffsetsPartitionResponse[]) => ({ name, partitions }), async (t, lp): Promise<P.ListOffsetsPartitionResponse> => {
      const fail = (errorCode: ErrorCode): P.ListOffsetsPartitionResponse => ({ partitionIndex: lp.partitionIndex, errorCode, timestamp: -1, offset: -1, leaderEpoch: -1 });
      // Kafka answers every copy of a partition named twice INVALID_REQUEST rather than
      // guess which question the client meant (librdkafka pairs answers with questions
      // by partition, so two different answers would both be read as one of them).
      if (duplicated.has(partitionKey(t.name, lp.partitionIndex))) return fail('INVALID_REQUEST');
      if (listOffsetsTargetUnsupported(lp.timestamp, apiVersion)) return fail('UNSUPPORTED_VERSION');
      const r = await this.o.replicaManager.leaderPartition(t.name, lp.partitionIndex);
      if ('errorCode' in r) return fail(epochBeforeLeadership(this.o.replicaManager.metadataImage, this.o.nodeId, t.name, lp.partitionIndex, lp.currentLeaderEpoch ?? -1, r.errorCode));
      const p = r.replica;
      if (lp.currentLeaderEpoch !== undefined && lp.currentLeaderEpoch >= 0 && lp.currentLeaderEpoch !== p.leaderEpoch) {
        return fail(lp.currentLeaderEpoch < p.leaderEpoch ? 'FENCED_LEADER_EPOCH' : 'UNKNOWN_LEADER_EPOCH');
      }
      const ok = (offset: number, timestamp = -1): P.ListOffsetsPartitionResponse => ({ partitionIndex: lp.partitionIndex, errorCode: 'NONE', timestamp, offset, leaderEpoch: p.leaderEpoch });
      // Kafka's targets (`ListOffsetsRequest`, `UnifiedLog.fetchOffsetByTimestamp`): -1 latest,
      // -2 earliest, -3 the largest timestamp (KIP-734), -4 the earliest local offset and -5
      // the latest tiered one (KIP-405, KIP-1005): with no tiered storage the local log is the
      // whole log, and nothing is tiered (offset -1). Kafka serves each at any version.
      if (lp.timestamp === -1) return ok(p.highWatermark);
      if (lp.timestamp === -2 || lp.timestamp === -4) return ok(p.logStartOffset);
      if (lp.timestamp === -5) return { ...ok(-1), leaderEpoch: -1 };
      const found = await p.log.offsetForTimestamp(lp.timestamp === -3 ? 'max' : lp.timestamp);
      // Only what consumers may read: a record at or past the high watermark is not found yet.
      if (found === undefined || found.offset >= p.highWatermark) return ok(-1);
      return ok(found.offset, found.timestamp);
    });
    return { apiKey: ApiKey.ListOffsets, topics, throttleTimeMs: 0 };
  }

  private async handleDeleteRecords(req: P.DeleteRecordsRequest): Promise<P.DeleteRecordsResponse> {
    const topics = await perPartition(req.topics, (t) => t.partitions, (name, partitions: P.DeleteRecordsPartitionResult[]) => ({ name, partitions }), async (t, dp): Promise<P.DeleteRecordsPartitionResult> => {
      // Kafka's ReplicaManager.deleteRecords: an internal topic's records are not a client's
      // to delete (a group's offsets, or the metadata log); an unknown partition of one is
      // still UNKNOWN_TOPIC_OR_PARTITION, as Kafka's KafkaApis answers it first.
      if (isInternalTopic(t.name)) {
        const known = this.o.replicaManager.metadataImage?.topic(t.name)?.partitions[dp.partitionIndex] !== undefined;
        return { partitionIndex: dp.partitionIndex, lowWatermark: -1, errorCode: known ? 'INVALID_TOPIC_EXCEPTION' : 'UNKNOWN_TOPIC_OR_PARTITION' };
      }
      const r = await this.o.replicaManager.leaderPartition(t.name, dp.partitionIndex);
      if ('errorCode' in r) return { partitionIndex: dp.partitionIndex, lowWatermark: -1, errorCode: r.errorCode };
      const p = r.replica;
      // -1 means "up to the high watermark", as in Kafka.
      const offset = dp.offset === -1 ? p.highWatermark : dp.offset;
      if (offset < 0 || offset > p.highWatermark) return { partitionIndex: dp.partitionIndex, lowWatermark: -1, errorCode: 'OFFSET_OUT_OF_RANGE' };
      const low = await p.log.deleteRecords(offset);
      return { partitionIndex: dp.partitionIndex, lowWatermark: low, errorCode: 'NONE' };
    });
    return { apiKey: ApiKey.DeleteRecords, topics, throttleTimeMs: 0 };
  }

  /**
   * OffsetForLeaderEpoch (KIP-101, KIP-320): the end offset of an epoch in the leader's
   * log (the start of the next larger epoch, or the log end offset), with the largest
   * epoch at most the one asked for; -1 and -1 when the log knows none. A consumer asks it
   * after a leader change, to learn whether the records it read were truncated away.
   * Kafka's `ReplicaManager.lastOffsetForLeaderEpoch`: only the leader answers (this is
   * not a follower's way to truncate here: followers learn it from the Fetch's diverging
   * epoch), with the epoch checked before leadership as in a Fetch.
   */
  private async handleOffsetForLeaderEpoch(req: P.OffsetForLeaderEpochRequest): Promise<P.OffsetForLeaderEpochResponse> {
    const topics = await Promise.all(
      req.topics.map(async (t): Promise<P.OffsetForLeaderTopicResult> => ({
        topic: t.topic,
        partitions: await Promise.all(
          t.partitions.map(async (op): Promise<P.EpochEndOffsetResult> => {
            const fail = (errorCode: ErrorCode): P.EpochEndOffsetResult => ({ errorCode, partition: op.partition, leaderEpoch: -1, endOffset: -1 });
            const r = await this.o.replicaManager.leaderPartition(t.topic, op.partition);
            if ('errorCode' in r) return fail(epochBeforeLeadership(this.o.replicaManager.metadataImage, this.o.nodeId, t.topic, op.partition, op.currentLeaderEpoch, r.errorCode));
            const p = r.replica;
            if (op.currentLeaderEpoch >= 0 && op.currentLeaderEpoch !== p.leaderEpoch) return fail(op.currentLeaderEpoch < p.leaderEpoch ? 'FENCED_LEADER_EPOCH' : 'UNKNOWN_LEADER_EPOCH');
            const found = p.log.endOffsetForEpoch(op.leaderEpoch);
            return { errorCode: 'NONE', partition: op.partition, leaderEpoch: found?.epoch ?? -1, endOffset: found?.endOffset ?? -1 };
          }),
        ),
      })),
    );
    return { apiKey: ApiKey.OffsetForLeaderEpoch, topics, throttleTimeMs: 0 };
  }

  private async handleInitProducerId(): Promise<P.InitProducerIdResponse> {
    try {
      const producerId = await this.o.producerIds.generateProducerId();
      return { apiKey: ApiKey.InitProducerId, errorCode: 'NONE', producerId, producerEpoch: 0, throttleTimeMs: 0 };
    } catch (err) {
      const code: ErrorCode = isTributaryError(err) ? err.code : 'UNKNOWN_SERVER_ERROR';
      return { apiKey: ApiKey.InitProducerId, errorCode: code, producerId: -1, producerEpoch: -1, throttleTimeMs: 0 };
    }
  }
}

/**
 * Kafka's `Partition.getLocalLog`: a broker that holds a replica of the partition checks
 * the sender's `currentLeaderEpoch` (-1: none) before leadership, so a sender behind it
 * gets FENCED_LEADER_EPOCH and one ahead of it UNKNOWN_LEADER_EPOCH where `errorCode`
 * (NOT_LEADER_OR_FOLLOWER, LEADER_NOT_AVAILABLE) would say only that this broker does
 * not lead. Any other answer stands.
 */
function epochBeforeLeadership(image: MetadataImage | undefined, nodeId: number, topic: string, partition: number, currentLeaderEpoch: number, errorCode: ErrorCode): ErrorCode {
  if (currentLeaderEpoch < 0 || (errorCode !== 'NOT_LEADER_OR_FOLLOWER' && errorCode !== 'LEADER_NOT_AVAILABLE')) return errorCode;
  const reg = image?.topic(topic)?.partitions[partition];
  if (reg === undefined || !reg.replicas.includes(nodeId) || currentLeaderEpoch === reg.leaderEpoch) return errorCode;
  return currentLeaderEpoch < reg.leaderEpoch ? 'FENCED_LEADER_EPOCH' : 'UNKNOWN_LEADER_EPOCH';
}

/**
 * The ListOffsets version each negative target needs (Kafka's `timestampMinSupportedVersion`
 * in `ReplicaManager`): -1 and -2 from v1, -3 (max timestamp, KIP-734) from v7, -4 (earliest
 * local, KIP-405) from v8, -5 (latest tiered, KIP-1005) from v9. Tributary serves up to
 * v7, so over the wire -4 and -5 are always refused, as a Kafka broker refuses them in a
 * v7 request; a client in this process (no version) may ask each.
 */
const listOffsetsTargetMinVersion = new Map<number, number>([
  [-1, 1],
  [-2, 1],
  [-3, 7],
  [-4, 8],
  [-5, 9],
]);

/** Kafka's `isListOffsetsTimestampUnsupported`: a negative target unknown, or newer than the request's version. */
function listOffsetsTargetUnsupported(timestamp: number, apiVersion: number | undefined): boolean {
  if (timestamp >= 0) return false;
  const min = listOffsetsTargetMinVersion.get(timestamp);
  return min === undefined || (apiVersion !== undefined && apiVersion < min);
}

/** One partition of a Produce answered `errorCode`, nothing appended. */
function produceError(index: number, errorCode: ErrorCode, errorMessage: string | null): P.PartitionProduceResponse {
  return { index, errorCode, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1, errorMessage };
}

/** Every partition of a Produce answered `errorCode`, nothing appended (Kafka's `sendErrorResponseMaybeThrottle`). */
function refuseProduce(req: P.ProduceRequest, errorCode: ErrorCode, errorMessage: string): P.ProduceResponse {
  const responses = req.topicData.map((t): P.TopicProduceResponse => ({
    name: t.name,
    partitionResponses: t.partitionData.map((pd) => ({ index: pd.index, errorCode, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1, errorMessage })),
  }));
  return { apiKey: ApiKey.Produce, responses, throttleTimeMs: 0 };
}
