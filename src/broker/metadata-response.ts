/**
 * The answers to Metadata and DescribeCluster: pure functions of the metadata image
 * (Kafka's `KafkaApis.handleTopicMetadataRequest` and `handleDescribeCluster`), kept out
 * of `broker.ts`.
 * @internal
 */
import type { MetadataImage, TopicImage } from '../metadata/image.js';
import { ApiKey } from '../protocol/api-keys.js';
import type * as P from '../protocol/index.js';
import { isInternalTopic } from './internal-topics.js';

/** What the answers need of the broker that gives them. */
export interface ClusterView {
  readonly host: string;
  readonly clusterId: string;
  /** The active controller's id, or -1. */
  readonly controllerId: number;
}

export function metadataResponse(image: MetadataImage, req: P.MetadataRequest, self: ClusterView): P.MetadataResponse {
  const brokers: P.MetadataResponseBroker[] = [];
  image.forEachBroker((b) => {
    if (!b.fenced) brokers.push({ nodeId: b.id, host: b.endpoints[0]?.host ?? self.host, port: b.endpoints[0]?.port ?? 0, rack: b.rack });
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
      if (t) topics.push(describe(t));
      else topics.push({ errorCode: 'UNKNOWN_TOPIC_OR_PARTITION', name: rt.name, topicId: rt.topicId ?? '', isInternal: false, partitions: [], topicAuthorizedOperations: -2147483648 } as P.MetadataResponseTopic);
    }
  }
  return { apiKey: ApiKey.Metadata, brokers, clusterId: self.clusterId, controllerId: self.controllerId, topics, throttleTimeMs: 0 };
}

export function describeClusterResponse(image: MetadataImage, self: ClusterView): P.DescribeClusterResponse {
  const brokers: P.DescribeClusterBroker[] = [];
  image.forEachBroker((b) => {
    if (!b.fenced) brokers.push({ brokerId: b.id, host: b.endpoints[0]?.host ?? self.host, port: b.endpoints[0]?.port ?? 0, rack: b.rack });
  });
  brokers.sort((a, b) => a.brokerId - b.brokerId);
  return { apiKey: ApiKey.DescribeCluster, errorCode: 'NONE', errorMessage: null, clusterId: self.clusterId, controllerId: self.controllerId, brokers, clusterAuthorizedOperations: -2147483648, throttleTimeMs: 0 };
}
