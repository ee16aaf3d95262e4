import type { Broker } from '../broker/broker.js';
import type { RequestContext } from '../broker/request-context.js';
import type { ControllerNode } from '../controller/controller-node.js';
import type { Request, ResponseFor } from '../protocol/requests.js';
import { validateRequest } from '../protocol/validate.js';
import { decodeRequest, encodeResponseChunks } from '../protocol/wire/codec.js';
import { decodeNodeRequest, encodeNodeResponse, isNodeApi, peekRequestHeader, type NodeRequestBody } from '../protocol/wire/node-codec.js';
import type { NodeHandler } from '../transport/transport.js';
import { TributaryError } from '../util/errors.js';
import { controllerRequestFromBody, controllerResponseBody, type ControllerApiKey } from './controller-messages.js';
import { isNodeFrame, responseFrame } from './node-requests.js';
import type { TransportRaftNetwork } from './raft-link.js';

/**
 * What one node answers to the other nodes. Everything arrives as Kafka's own request
 * bytes in a node frame (`node-requests.ts`) and is answered with the response's bytes:
 * KRaft's requests (Vote, BeginQuorumEpoch, Fetch v15+, FetchSnapshot) go to the metadata
 * replica's Raft network, the broker's requests to the controller (BrokerRegistration,
 * BrokerHeartbeat, AlterPartition, AllocateProducerIds, Envelope) to this node's
 * controller, a leader's LeaderAndIsr to the broker, and any other Kafka request (a
 * follower's replica Fetch) to the broker, decoded and validated as a client's request is.
 *
 * Bytes that are not a frame or do not decode are refused with a typed error
 * (`INVALID_REQUEST`, `UNSUPPORTED_VERSION`), never a crash; a KRaft request for another
 * cluster is `INCONSISTENT_CLUSTER_ID`, as in KRaft. It is registered with the nodes'
 * transport from the moment the node starts opening (a Raft request may come before the
 * broker exists), and the broker's requests are answered only while the node is
 * `serving` (registered with the controller and not stopping), as its client-facing
 * listeners are.
 * @internal
 */
export class NodeEndpoint implements NodeHandler {
  metadata: ControllerNode | undefined;
  broker: Broker | undefined;
  serving = false;

  constructor(
    readonly nodeId: number,
    readonly raft: TransportRaftNetwork,
    readonly clusterId: string | null = null,
  ) {}

  async handle<R extends Request>(request: R, context?: RequestContext): Promise<ResponseFor<R>> {
    if (!isNodeFrame(request)) throw new TributaryError('INVALID_REQUEST', `node ${this.nodeId} takes only encoded node requests`);
    const { apiKey, frame } = request;
    const header = peekRequestHeader(frame);
    if (header.apiKey !== apiKey) throw new TributaryError('INVALID_REQUEST', `a node frame of api ${apiKey} holds a request of api ${header.apiKey}`);
    if (isNodeApi(header.apiKey, header.apiVersion)) return responseFrame(apiKey, await this.nodeRequest(frame)) as unknown as ResponseFor<R>;
    if (!this.serving || this.broker === undefined) throw new TributaryError('NETWORK_EXCEPTION', `node ${this.nodeId} is not serving`);
    const decoded = decodeRequest(frame);
    const req = validateRequest(decoded.request);
    const response = await this.broker.handle(req, context);
    const chunks = encodeResponseChunks(response, { apiVersion: header.apiVersion, correlationId: header.correlationId, request: req });
    return responseFrame(apiKey, joinWithoutSize(chunks)) as unknown as ResponseFor<R>;
  }

  private async nodeRequest(frame: Uint8Array): Promise<Uint8Array> {
    const { header, body } = decodeNodeRequest(frame);
    const { apiKey, apiVersion, correlationId } = header;
    switch (apiKey) {
      case 1:
      case 52:
      case 53:
      case 59: {
        const clusterId = body['clusterId'];
        if (typeof clusterId === 'string' && this.clusterId !== null && clusterId !== this.clusterId) {
          throw new TributaryError('INCONSISTENT_CLUSTER_ID', `node ${this.nodeId} is in cluster ${this.clusterId}, not ${clusterId}`);
        }
        return this.raft.handleRequest(apiKey, apiVersion, correlationId, body);
      }
      case 4: {
        const b = body as NodeRequestBody<4>;
        for (const t of b.topicStates ?? []) for (const p of t.partitionStates ?? []) if (t.topicName) void this.broker?.openReplica(t.topicName, p.partitionIndex ?? -1);
        return encodeNodeResponse(4, apiVersion, { errorCode: 'NONE', topics: [] }, correlationId);
      }
      default: {
        const key = apiKey as ControllerApiKey;
        const { request, inner } = controllerRequestFromBody(key, body);
        if (this.metadata === undefined) throw new TributaryError('NOT_CONTROLLER', `node ${this.nodeId} is starting`);
        const response = await this.metadata.submit(request);
        return encodeNodeResponse(key, apiVersion, controllerResponseBody(key, response, inner), correlationId);
      }
    }
  }
}

/**
 * The pieces of an encoded response as one message without its 4-byte size. Why pieces:
 * a Fetch answer's record batches are pieces of their own, by reference, so the message is
 * assembled with one allocation of its exact size and one copy of the records. Worked
 * example: a replica Fetch answer with 75 KB of batches, written whole, grows its writer
 * from 256 bytes by doubling (nine reallocations, about 150 KB copied) and is then copied
 * once more to its length. The buffer is a `Buffer`, so the batches decoded from it are
 * `Buffer` views, as the log's own reads are.
 */
function joinWithoutSize(chunks: readonly Uint8Array[]): Uint8Array {
  let size = -4;
  for (const c of chunks) size += c.length;
  const out = Buffer.allocUnsafeSlow(size); // unpooled: the whole buffer, so a port can transfer it
  let at = -4;
  for (const c of chunks) {
    if (at < 0) {
      const skip = Math.min(-at, c.length);
      out.set(c.subarray(skip), 0);
      at += c.length;
      continue;
    }
    out.set(c, at);
    at += c.length;
  }
  return out;
}
