/**
 * Metadata (3), v0 to v12 (`MetadataRequest.json`, `MetadataResponse.json`). KafkaJS 2.2 asks
 * for v0-v6, librdkafka 2.x for up to v12; v9 is the first flexible version.
 *
 * ```
 * request   topics [topicId uuid (v10+), name string (nullable v10+)] (null = all topics, v1+;
 *           in v0 an empty array means all), allowAutoTopicCreation bool (v4+),
 *           includeClusterAuthorizedOperations bool (v8-v10), includeTopicAuthorizedOperations bool (v8+)
 * response  throttleTimeMs int32 (v3+), brokers [nodeId, host, port, rack (v1+)], clusterId (v2+),
 *           controllerId int32 (v1+), topics [errorCode, name (nullable v12+), topicId (v10+),
 *           isInternal (v1+), partitions [errorCode, partitionIndex, leaderId, leaderEpoch (v7+),
 *           replicaNodes, isrNodes, offlineReplicas (v5+)], topicAuthorizedOperations (v8+)],
 *           clusterAuthorizedOperations int32 (v8-v10)
 * ```
 * Flexible versions end every struct, and the body, with tagged fields (none defined here).
 */
import { zeroUuid } from '../../metadata/uuid.js';
import { TributaryError } from '../../util/errors.js';
import { ApiKey } from '../api-keys.js';
import type {
  MetadataRequest,
  MetadataRequestTopic,
  MetadataResponse,
  MetadataResponseBroker,
  MetadataResponsePartition,
  MetadataResponseTopic,
} from '../cluster.js';
import { authorizedOperationsOmitted } from '../common.js';
import { errorFromWire, errorToWire, type ApiCodec } from './api-codec.js';
import type { WireReader } from './reader.js';
import type { WireWriter } from './writer.js';

const flexibleFrom = 9;

function cannot(version: number, why: string): never {
  throw new TributaryError('UNSUPPORTED_VERSION', `Metadata v${version} cannot carry ${why}`);
}

export const metadataCodec: ApiCodec<typeof ApiKey.Metadata> = {
  apiKey: ApiKey.Metadata,
  minVersion: 0,
  maxVersion: 12,

  encodeRequest(w: WireWriter, request: MetadataRequest, version: number): void {
    const flexible = version >= flexibleFrom;
    const topics = request.topics;
    if (version === 0 && topics !== null && topics.length === 0) cannot(version, 'a request for no topics');
    w.nullableArray(flexible, version === 0 && topics === null ? [] : topics, (w, t) => {
      if (version >= 10) w.uuid(t.topicId ?? zeroUuid).nullableString(true, t.name);
      else if (t.name === null) cannot(version, 'a topic named only by id');
      else w.string(flexible, t.name);
      w.tags(flexible);
    });
    if (version >= 4) w.bool(request.allowAutoTopicCreation);
    if (version >= 8 && version <= 10) w.bool(request.includeClusterAuthorizedOperations ?? false);
    if (version >= 8) w.bool(request.includeTopicAuthorizedOperations ?? false);
    w.tags(flexible);
  },

  decodeRequest(r: WireReader, version: number): MetadataRequest {
    const flexible = version >= flexibleFrom;
    let topics = r.nullableArray(flexible, (r): MetadataRequestTopic => {
      const topicId = version >= 10 ? r.uuid() : zeroUuid;
      const name = version >= 10 ? r.nullableString(true) : r.string(flexible);
      r.tags(flexible);
      return { topicId, name };
    });
    if (version === 0) {
      if (topics === null) r.fail('a null topic array in Metadata v0');
      if (topics.length === 0) topics = null;
    }
    const allowAutoTopicCreation = version >= 4 ? r.bool() : true;
    const includeClusterAuthorizedOperations = version >= 8 && version <= 10 ? r.bool() : false;
    const includeTopicAuthorizedOperations = version >= 8 ? r.bool() : false;
    r.tags(flexible);
    return { apiKey: ApiKey.Metadata, topics, allowAutoTopicCreation, includeClusterAuthorizedOperations, includeTopicAuthorizedOperations };
  },

  encodeResponse(w: WireWriter, response: MetadataResponse, version: number): void {
    const flexible = version >= flexibleFrom;
    if (version >= 3) w.int32(response.throttleTimeMs ?? 0);
    w.array(flexible, response.brokers, (w, b) => {
      w.int32(b.nodeId).string(flexible, b.host).int32(b.port);
      if (version >= 1) w.nullableString(flexible, b.rack);
      w.tags(flexible);
    });
    if (version >= 2) w.nullableString(flexible, response.clusterId);
    if (version >= 1) w.int32(response.controllerId);
    w.array(flexible, response.topics, (w, t) => {
      w.int16(errorToWire(t.errorCode));
      if (version >= 12) w.nullableString(true, t.name);
      else if (t.name === null) cannot(version, 'a topic without a name');
      else w.string(flexible, t.name);
      if (version >= 10) w.uuid(t.topicId);
      if (version >= 1) w.bool(t.isInternal);
      w.array(flexible, t.partitions, (w, p) => {
        w.int16(errorToWire(p.errorCode)).int32(p.partitionIndex).int32(p.leaderId);
        if (version >= 7) w.int32(p.leaderEpoch);
        w.array(flexible, p.replicaNodes, (w, n) => w.int32(n));
        w.array(flexible, p.isrNodes, (w, n) => w.int32(n));
        if (version >= 5) w.array(flexible, p.offlineReplicas, (w, n) => w.int32(n));
        w.tags(flexible);
      });
      if (version >= 8) w.int32(t.topicAuthorizedOperations);
      w.tags(flexible);
    });
    if (version >= 8 && version <= 10) w.int32(response.clusterAuthorizedOperations ?? authorizedOperationsOmitted);
    w.tags(flexible);
  },

  decodeResponse(r: WireReader, version: number): MetadataResponse {
    const flexible = version >= flexibleFrom;
    const int32s = (r: WireReader): number => r.int32();
    const throttleTimeMs = version >= 3 ? r.int32() : 0;
    const brokers = r.array(flexible, (r): MetadataResponseBroker => {
      const nodeId = r.int32();
      const host = r.string(flexible);
      const port = r.int32();
      const rack = version >= 1 ? r.nullableString(flexible) : null;
      r.tags(flexible);
      return { nodeId, host, port, rack };
    });
    const clusterId = version >= 2 ? r.nullableString(flexible) : null;
    const controllerId = version >= 1 ? r.int32() : -1;
    const topics = r.array(flexible, (r): MetadataResponseTopic => {
      const errorCode = errorFromWire(r.int16());
      const name = version >= 12 ? r.nullableString(true) : r.string(flexible);
      const topicId = version >= 10 ? r.uuid() : zeroUuid;
      const isInternal = version >= 1 ? r.bool() : false;
      const partitions = r.array(flexible, (r): MetadataResponsePartition => {
        const errorCode = errorFromWire(r.int16());
        const partitionIndex = r.int32();
        const leaderId = r.int32();
        const leaderEpoch = version >= 7 ? r.int32() : -1;
        const replicaNodes = r.array(flexible, int32s);
        const isrNodes = r.array(flexible, int32s);
        const offlineReplicas = version >= 5 ? r.array(flexible, int32s) : [];
        r.tags(flexible);
        return { errorCode, partitionIndex, leaderId, leaderEpoch, replicaNodes, isrNodes, offlineReplicas };
      });
      const topicAuthorizedOperations = version >= 8 ? r.int32() : authorizedOperationsOmitted;
      r.tags(flexible);
      return { errorCode, name, topicId, isInternal, partitions, topicAuthorizedOperations };
    });
    const clusterAuthorizedOperations = version >= 8 && version <= 10 ? r.int32() : authorizedOperationsOmitted;
    r.tags(flexible);
    return { apiKey: ApiKey.Metadata, brokers, clusterId, controllerId, topics, clusterAuthorizedOperations, throttleTimeMs };
  },
};
