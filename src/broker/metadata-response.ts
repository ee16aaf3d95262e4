/**
 * The answer to DescribeCluster: a pure function of the metadata image (Kafka's
 * `KafkaApis.handleDescribeCluster`), kept out of `broker.ts`. Metadata is answered by
 * `auto-topic-creation-manager.ts`.
 * @internal
 */
import type { MetadataImage } from '../metadata/image.js';
import { ApiKey } from '../protocol/api-keys.js';
import type * as P from '../protocol/index.js';

/** What the answers need of the broker that gives them. */
export interface ClusterView {
  readonly host: string;
  readonly clusterId: string;
  /** The active controller's id, or -1. */
  readonly controllerId: number;
}

export function describeClusterResponse(image: MetadataImage, self: ClusterView): P.DescribeClusterResponse {
  const brokers: P.DescribeClusterBroker[] = [];
  image.forEachBroker((b) => {
    if (!b.fenced) brokers.push({ brokerId: b.id, host: b.endpoints[0]?.host ?? self.host, port: b.endpoints[0]?.port ?? 0, rack: b.rack });
  });
  brokers.sort((a, b) => a.brokerId - b.brokerId);
  return { apiKey: ApiKey.DescribeCluster, errorCode: 'NONE', errorMessage: null, clusterId: self.clusterId, controllerId: self.controllerId, brokers, clusterAuthorizedOperations: -2147483648, throttleTimeMs: 0 };
}
