/**
 * A broker's requests to the active controller in Kafka's own requests, and back:
 *
 * | controller request | Kafka | notes |
 * | --- | --- | --- |
 * | BrokerRegistration | BrokerRegistrationRequest (62) v4 | no `features`, `logDirs` (every partition folder is its own log directory); `clusterId` '' for none |
 * | BrokerHeartbeat | BrokerHeartbeatRequest (63) v1 | `offlineReplicas` as Tributary tag 100 (Kafka's `OfflineLogDirs` name directories) |
 * | AlterPartition | AlterPartitionRequest (56) v2 | `newIsr` as Kafka sends it without KIP-903's ISR broker epochs (v3 is decoded too) |
 * | AllocateProducerIds | AllocateProducerIdsRequest (67) v0 | |
 * | CreateTopics, DeleteTopics, CreatePartitions, IncrementalAlterConfigs | EnvelopeRequest (58) v0 around the client's request (19, 20, 37, 44) at the newest version the client codec serves | forwarded as Kafka's brokers forward them (KIP-590); no principal (Tributary has none), no client address |
 * | IncrementalAlterConfigs with `replace` | EnvelopeRequest (58) v0 around AlterConfigs (33) | the client's AlterConfigs, forwarded as it came |
 *
 * The responses lose only `errorMessage` (none of these Kafka responses carries one; it
 * decodes to null), and the in-process `type` tag, which the api key replaces. A
 * controller that cannot answer (not active, or the request timed out in Raft) fails the
 * request with a typed error through the transport rather than with an error response.
 * @internal
 */
import type { ControllerRequest, ControllerResponse } from '../metadata/requests.js';
import { ApiKey } from '../protocol/api-keys.js';
import type { Request, Response } from '../protocol/requests.js';
import { decodeRequest, decodeResponse, encodeRequest, encodeResponse, servedApiVersions } from '../protocol/wire/codec.js';
import { nodeApiVersion, type NodeRequestBody, type NodeResponseBody } from '../protocol/wire/node-codec.js';
import { TributaryError } from '../util/errors.js';

/** The api keys a controller request travels as. */
export type ControllerApiKey = 56 | 58 | 62 | 63 | 67;

/** The request kinds forwarded in an Envelope, with the client API each is. */
const forwarded = {
  CreateTopics: ApiKey.CreateTopics,
  DeleteTopics: ApiKey.DeleteTopics,
  CreatePartitions: ApiKey.CreatePartitions,
  IncrementalAlterConfigs: ApiKey.IncrementalAlterConfigs,
} as const;

const forwardedVersion = (apiKey: number): number => servedApiVersions.find((a) => a.apiKey === apiKey)!.maxVersion;

/** How long a forwarded admin request may take on the controller (its own timeout bounds it). */
const forwardedTimeoutMs = 30_000;

const empty = new Uint8Array(0);

/** A controller request as its Kafka request, at the version nodes send it. `UNSUPPORTED_VERSION` for one nodes never send. */
export function controllerRequestBody(r: ControllerRequest): { apiKey: ControllerApiKey; version: number; body: NodeRequestBody<ControllerApiKey> } {
  switch (r.type) {
    case 'BrokerRegistration':
      return {
        apiKey: 62,
        version: nodeApiVersion(62),
        body: {
          brokerId: r.brokerId,
          clusterId: r.clusterId ?? '',
          incarnationId: r.incarnationId,
          listeners: r.listeners ?? [],
          features: [],
          rack: r.rack ?? null,
        } satisfies NodeRequestBody<62>,
      };
    case 'BrokerHeartbeat':
      return {
        apiKey: 63,
        version: nodeApiVersion(63),
        body: {
          brokerId: r.brokerId,
          brokerEpoch: r.brokerEpoch,
          currentMetadataOffset: r.currentMetadataOffset,
          wantFence: r.wantFence ?? false,
          wantShutDown: r.wantShutDown ?? false,
          offlineReplicas: r.offlineReplicas ?? [],
        } satisfies NodeRequestBody<63>,
      };
    case 'AlterPartition':
      return {
        apiKey: 56,
        version: 2,
        body: {
          brokerId: r.brokerId,
          brokerEpoch: r.brokerEpoch,
          topics: r.topics.map((t) => ({ topicId: t.topicId, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, leaderEpoch: p.leaderEpoch, newIsr: p.newIsr, partitionEpoch: p.partitionEpoch })) })),
        } satisfies NodeRequestBody<56>,
      };
    case 'AllocateProducerIds':
      return { apiKey: 67, version: nodeApiVersion(67), body: { brokerId: r.brokerId, brokerEpoch: r.brokerEpoch } satisfies NodeRequestBody<67> };
    case 'CreateTopics':
    case 'DeleteTopics':
    case 'CreatePartitions':
    case 'IncrementalAlterConfigs': {
      const inner = clientRequestOf(r);
      const frame = encodeRequest(inner, { apiVersion: forwardedVersion(inner.apiKey), correlationId: 0, clientId: null });
      return { apiKey: 58, version: nodeApiVersion(58), body: { requestData: frame.subarray(4), requestPrincipal: null, clientHostAddress: empty } satisfies NodeRequestBody<58> };
    }
    default:
      throw new TributaryError('UNSUPPORTED_VERSION', `a broker sends no ${r.type} to the controller`);
  }
}

function clientRequestOf(r: Extract<ControllerRequest, { type: keyof typeof forwarded }>): Request {
  switch (r.type) {
    case 'CreateTopics':
      return { apiKey: ApiKey.CreateTopics, topics: r.topics, timeoutMs: forwardedTimeoutMs, validateOnly: r.validateOnly ?? false };
    case 'DeleteTopics':
      return { apiKey: ApiKey.DeleteTopics, topics: r.topics, timeoutMs: forwardedTimeoutMs };
    case 'CreatePartitions':
      return { apiKey: ApiKey.CreatePartitions, topics: r.topics, timeoutMs: forwardedTimeoutMs, validateOnly: r.validateOnly ?? false };
    case 'IncrementalAlterConfigs':
      if (r.replace === true) {
        // A client's AlterConfigs (the broker made its values SET, and a null DELETE): forwarded as AlterConfigs.
        const resources = r.resources.map((res) => ({ resourceType: res.resourceType, resourceName: res.resourceName, configs: res.configs.map((c) => ({ name: c.name, value: c.configOperation === 'DELETE' ? null : c.value })) }));
        return { apiKey: ApiKey.AlterConfigs, resources, validateOnly: r.validateOnly ?? false };
      }
      return { apiKey: ApiKey.IncrementalAlterConfigs, resources: r.resources, validateOnly: r.validateOnly ?? false };
  }
}

function invalid(why: string): never {
  throw new TributaryError('INVALID_REQUEST', `a controller request ${why}`);
}

/**
 * A decoded Kafka request body as the controller's request. For an Envelope, also the
 * forwarded request's api key and version (its response is encoded in them). The
 * controller checks what the fields mean; here only the shape the controller needs.
 */
export function controllerRequestFromBody(apiKey: ControllerApiKey, body: Record<string, unknown>): { request: ControllerRequest; inner?: { apiKey: number; apiVersion: number; correlationId: number } } {
  switch (apiKey) {
    case 62: {
      const b = body as NodeRequestBody<62>;
      return {
        request: {
          type: 'BrokerRegistration',
          brokerId: b.brokerId ?? -1,
          ...(b.clusterId ? { clusterId: b.clusterId } : {}),
          incarnationId: b.incarnationId!,
          listeners: (b.listeners ?? []).map((l) => ({ name: l.name ?? '', host: l.host ?? '', port: l.port ?? 0, securityProtocol: l.securityProtocol ?? 0 })),
          rack: b.rack ?? null,
        },
      };
    }
    case 63: {
      const b = body as NodeRequestBody<63>;
      const offline = b.offlineReplicas ?? [];
      return {
        request: {
          type: 'BrokerHeartbeat',
          brokerId: b.brokerId ?? -1,
          brokerEpoch: b.brokerEpoch ?? -1,
          currentMetadataOffset: b.currentMetadataOffset ?? -1,
          ...(b.wantFence ? { wantFence: true } : {}),
          ...(b.wantShutDown ? { wantShutDown: true } : {}),
          ...(offline.length > 0 ? { offlineReplicas: offline.map((o) => ({ topicId: o.topicId!, partitionIndex: o.partitionIndex ?? -1 })) } : {}),
        },
      };
    }
    case 56: {
      const b = body as NodeRequestBody<56>;
      return {
        request: {
          type: 'AlterPartition',
          brokerId: b.brokerId ?? -1,
          brokerEpoch: b.brokerEpoch ?? -1,
          topics: (b.topics ?? []).map((t) => ({
            topicId: t.topicId!,
            partitions: (t.partitions ?? []).map((p) => ({
              partitionIndex: p.partitionIndex ?? -1,
              leaderEpoch: p.leaderEpoch ?? -1,
              newIsr: p.newIsrWithEpochs && p.newIsrWithEpochs.length > 0 ? p.newIsrWithEpochs.map((s) => s.brokerId ?? -1) : (p.newIsr ?? []),
              partitionEpoch: p.partitionEpoch ?? -1,
            })),
          })),
        },
      };
    }
    case 67: {
      const b = body as NodeRequestBody<67>;
      return { request: { type: 'AllocateProducerIds', brokerId: b.brokerId ?? -1, brokerEpoch: b.brokerEpoch ?? -1 } };
    }
    case 58: {
      const b = body as NodeRequestBody<58>;
      const data = b.requestData;
      if (!(data instanceof Uint8Array) || data.length === 0) invalid('in an Envelope carries no request');
      const { header, request } = decodeRequest(data);
      const inner = { apiKey: header.apiKey, apiVersion: header.apiVersion, correlationId: header.correlationId };
      return { request: controllerRequestOfClient(request), inner };
    }
  }
}

function controllerRequestOfClient(r: Request): ControllerRequest {
  switch (r.apiKey) {
    case ApiKey.CreateTopics:
      return { type: 'CreateTopics', topics: r.topics, validateOnly: r.validateOnly ?? false };
    case ApiKey.DeleteTopics:
      return { type: 'DeleteTopics', topics: r.topics };
    case ApiKey.CreatePartitions:
      return { type: 'CreatePartitions', topics: r.topics, validateOnly: r.validateOnly ?? false };
    case ApiKey.IncrementalAlterConfigs:
      return { type: 'IncrementalAlterConfigs', resources: r.resources, validateOnly: r.validateOnly ?? false };
    case ApiKey.AlterConfigs: {
      const resources = r.resources.map((res) => ({ resourceType: res.resourceType, resourceName: res.resourceName, configs: res.configs.map((c) => ({ name: c.name, value: c.value, configOperation: c.value === null ? ('DELETE' as const) : ('SET' as const) })) }));
      return { type: 'IncrementalAlterConfigs', resources, validateOnly: r.validateOnly ?? false, replace: true };
    }
    default:
      return invalid(`in an Envelope is api ${r.apiKey}, which is not forwarded to the controller`);
  }
}

/** The controller's response as the Kafka response body of `apiKey` (for an Envelope, the forwarded request's response inside). */
export function controllerResponseBody(apiKey: ControllerApiKey, response: ControllerResponse<ControllerRequest>, inner?: { apiKey: number; apiVersion: number; correlationId: number }): NodeResponseBody<ControllerApiKey> {
  const r = response as unknown as Record<string, unknown>;
  switch (apiKey) {
    case 62:
    case 63:
    case 67:
      return { throttleTimeMs: 0, ...r } as NodeResponseBody<ControllerApiKey>;
    case 56: {
      const a = response as ControllerResponse<Extract<ControllerRequest, { type: 'AlterPartition' }>>;
      return { throttleTimeMs: 0, errorCode: a.errorCode, topics: a.topics } satisfies NodeResponseBody<56>;
    }
    case 58: {
      if (inner === undefined) throw new TributaryError('INVALID_REQUEST', 'an Envelope response without its forwarded request');
      const client = { apiKey: inner.apiKey, throttleTimeMs: 0, ...r } as unknown as Response;
      const frame = encodeResponse(client, { apiVersion: inner.apiVersion, correlationId: inner.correlationId });
      return { responseData: frame.subarray(4), errorCode: 'NONE' } satisfies NodeResponseBody<58>;
    }
  }
}

/** A decoded Kafka response body as the controller's response to `request`. `CORRUPT_MESSAGE` for one that does not fit. */
export function controllerResponseFromBody(request: ControllerRequest, apiKey: ControllerApiKey, body: Record<string, unknown>): ControllerResponse<ControllerRequest> {
  if (apiKey === 58) {
    const b = body as NodeResponseBody<58>;
    if (b.errorCode !== undefined && b.errorCode !== 'NONE') throw new TributaryError(b.errorCode, `the controller refused the forwarded ${request.type}`);
    const data = b.responseData;
    if (!(data instanceof Uint8Array)) throw new TributaryError('CORRUPT_MESSAGE', `an Envelope response to ${request.type} carries no response`);
    const inner = request.type === 'IncrementalAlterConfigs' && request.replace === true ? ApiKey.AlterConfigs : forwarded[request.type as keyof typeof forwarded];
    const { response } = decodeResponse(inner, forwardedVersion(inner), data);
    const { apiKey: _k, throttleTimeMs: _t, ...rest } = response as unknown as Record<string, unknown>;
    return rest as unknown as ControllerResponse<ControllerRequest>;
  }
  const { throttleTimeMs: _t, ...rest } = body;
  if (apiKey === 56) {
    const b = body as NodeResponseBody<56>;
    return {
      errorCode: b.errorCode ?? 'NONE',
      errorMessage: null,
      topics: (b.topics ?? []).map((t) => ({
        topicId: t.topicId!,
        partitions: (t.partitions ?? []).map((p) => ({
          partitionIndex: p.partitionIndex ?? -1,
          errorCode: p.errorCode ?? 'NONE',
          errorMessage: null,
          leaderId: p.leaderId ?? -1,
          leaderEpoch: p.leaderEpoch ?? -1,
          isr: p.isr ?? [],
          partitionEpoch: p.partitionEpoch ?? -1,
        })),
      })),
    } as ControllerResponse<ControllerRequest>;
  }
  return { ...rest, errorMessage: null } as unknown as ControllerResponse<ControllerRequest>;
}
