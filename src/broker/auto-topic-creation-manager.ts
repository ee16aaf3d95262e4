/**
 * The broker's answer to Metadata, and the topics it creates on first use: Kafka's
 * `KafkaApis.handleTopicMetadataRequest` with its `AutoTopicCreationManager`.
 *
 * When a Metadata request names a topic the image does not hold, carries
 * `allowAutoTopicCreation` (the producer's requests do; the admin's and the consumer's
 * do not by default), and the broker's `auto.create.topics.enable` is on (the default, as
 * in Kafka), the broker asks the controller to create the topic with the cluster's
 * `num.partitions` and `default.replication.factor`, and answers `LEADER_NOT_AVAILABLE`
 * for it at once, as Kafka does: the client asks again after its backoff and finds the
 * topic with its leaders. One creation per topic is in flight at a time, however many
 * clients ask. A creation the controller refuses (too few brokers for the replication
 * factor, a name reserved for internal topics) is answered with the controller's error
 * to the next request for it, so a producer fails with the reason instead of waiting out
 * `maxBlockMs`; the request after that tries again.
 *
 * It lives outside the broker so that the same mechanism serves Kafka wire clients, whose
 * Metadata requests reach this same handler.
 * @internal
 */
import type { MetadataImage, TopicImage } from '../metadata/image.js';
import { ApiKey } from '../protocol/api-keys.js';
import type * as P from '../protocol/index.js';
import type { ErrorCode } from '../util/error-codes.js';
import { isTributaryError } from '../util/errors.js';
import { validateTopicName } from '../util/topic-name.js';
import type { ControllerChannel } from './broker.js';
// Topic names only the cluster itself creates: a client's Metadata request never creates them.
import { internalTopicNames, isInternalTopic } from './internal-topics.js';


/** The most topics one broker creates at once; more wait for the next Metadata request. */
export const autoCreateInFlightMax = 1000;

/** What the Metadata handler needs of its broker. */
export interface MetadataContext {
  readonly clusterId: string;
  /** The host a broker without an advertised endpoint is said to be on. */
  readonly host: string;
  readonly controller: ControllerChannel;
  /** `auto.create.topics.enable`. */
  readonly autoCreateTopicsEnable: boolean;
}

const absent = (name: string | null, topicId: string, errorCode: ErrorCode): P.MetadataResponseTopic =>
  ({ errorCode, name, topicId, isInternal: false, partitions: [], topicAuthorizedOperations: -2147483648 }) as P.MetadataResponseTopic;

/** Answers Metadata requests for one broker and creates topics on first use. */
export class AutoTopicCreationManager {
  /** Topics whose creation this broker has asked the controller for and not heard back. */
  private readonly inflight = new Set<string>();
  /** Topics whose creation the controller refused, with its error: told to the next request. */
  private readonly refused = new Map<string, ErrorCode>();

  constructor(private readonly context: MetadataContext) {}

  /** The Metadata response for `req` from `image`, starting creations it asks for. */
  metadata(image: MetadataImage, req: P.MetadataRequest): P.MetadataResponse {
    const c = this.context;
    const brokers: P.MetadataResponseBroker[] = [];
    image.forEachBroker((b) => {
      if (!b.fenced) brokers.push({ nodeId: b.id, host: b.endpoints[0]?.host ?? c.host, port: b.endpoints[0]?.port ?? 0, rack: b.rack });
    });
    brokers.sort((a, b) => a.nodeId - b.nodeId);
    const describe = (t: TopicImage): P.MetadataResponseTopic => ({
      errorCode: 'NONE',
      name: t.name,
      topicId: t.id,
      isInternal: isInternalTopic(t.name),
      partitions: t.partitions.map((p, i) => ({
        errorCode: p.leader < 0 ? 'LEADER_NOT_AVAILABLE' : 'NONE',
        partitionIndex: i,
        leaderId: p.leader,
        leaderEpoch: p.leaderEpoch,
        replicaNodes: p.replicas,
        isrNodes: p.isr,
        offlineReplicas: p.replicas.filter((r) => image.broker(r)?.fenced !== false),
      })),
      topicAuthorizedOperations: -2147483648,
    });
    const topics: P.MetadataResponseTopic[] = [];
    if (req.topics === null) image.forEachTopic((t) => topics.push(describe(t)));
    else {
      for (const rt of req.topics) {
        const t = rt.name !== null ? image.topic(rt.name) : rt.topicId !== undefined ? image.topicById(rt.topicId) : undefined;
        if (t) {
          this.refused.delete(t.name);
          topics.push(describe(t));
        } else if (rt.name !== null && req.allowAutoTopicCreation && c.autoCreateTopicsEnable) {
          topics.push(absent(rt.name, rt.topicId ?? '', this.create(rt.name)));
        } else {
          topics.push(absent(rt.name, rt.topicId ?? '', 'UNKNOWN_TOPIC_OR_PARTITION'));
        }
      }
    }
    return { apiKey: ApiKey.Metadata, brokers, clusterId: c.clusterId, controllerId: c.controller.activeControllerId(), topics, throttleTimeMs: 0 };
  }

  /** Starts creating `name` (once), and says what to answer for it meanwhile. */
  private create(name: string): ErrorCode {
    try {
      validateTopicName(name);
    } catch {
      return 'INVALID_TOPIC_EXCEPTION';
    }
    if (internalTopicNames.has(name)) return 'UNKNOWN_TOPIC_OR_PARTITION';
    const refused = this.refused.get(name);
    if (refused !== undefined) {
      this.refused.delete(name);
      return refused;
    }
    if (this.inflight.has(name)) return 'LEADER_NOT_AVAILABLE';
    if (this.inflight.size >= autoCreateInFlightMax) return 'LEADER_NOT_AVAILABLE';
    this.inflight.add(name);
    this.context.controller
      .submit({ type: 'CreateTopics', topics: [{ name, numPartitions: -1, replicationFactor: -1, configs: [] }], validateOnly: false })
      .then(
        (r) => {
          const code = r.topics[0]?.errorCode ?? 'UNKNOWN_SERVER_ERROR';
          // Another broker (or an admin) created it first: that is success too.
          if (code !== 'NONE' && code !== 'TOPIC_ALREADY_EXISTS' && !isRetriableCreateError(code)) this.refused.set(name, code);
        },
        (err: unknown) => {
          // No controller right now: the next Metadata request tries again.
          if (isTributaryError(err) && !err.retriable && err.code !== 'CLIENT_CLOSED') this.refused.set(name, err.code);
        },
      )
      .finally(() => this.inflight.delete(name));
    return 'LEADER_NOT_AVAILABLE';
  }
}

function isRetriableCreateError(code: ErrorCode): boolean {
  return code === 'NOT_CONTROLLER' || code === 'REQUEST_TIMED_OUT' || code === 'LEADER_NOT_AVAILABLE' || code === 'THROTTLING_QUOTA_EXCEEDED';
}
