import type { Broker } from '../broker/broker.js';
import type { RequestContext } from '../broker/request-context.js';
import type { ControllerNode } from '../controller/controller-node.js';
import type { Request, ResponseFor } from '../protocol/requests.js';
import { isNodeApi, peekRequestHeader, type NodeRequestBody } from '../protocol/wire/node-codec.js';
import type { NodeHandler } from '../transport/transport.js';
import { TributaryError } from '../util/errors.js';
import { controllerRequestFromBody, controllerResponseBody, type ControllerApiKey } from './controller-messages.js';
import { decodeNodeMessage, encodeNodeAnswer, fetchAnswerFrame, isNodeFrame, isNodeRequest, type NodeFrame, type NodeRequest, type NodeResponse } from './node-requests.js';
import { isPeerFetch, peerFetchAnswer, peerFetchBuffer, readPeerFetch } from './peer-fetch.js';
import type { TransportRaftNetwork } from './raft-link.js';

/**
 * What one node answers to the other nodes. Everything arrives as Kafka's own request,
 * typed (`NodeRequest`, `node-requests.ts`), and is answered with the typed response:
 * KRaft's requests (Vote, BeginQuorumEpoch, Fetch v15+, FetchSnapshot) go to the metadata
 * replica's Raft network, the broker's requests to the controller (BrokerRegistration,
 * BrokerHeartbeat, AlterPartition, AllocateProducerIds, Envelope) to this node's
 * controller, a leader's LeaderAndIsr to the broker, and any other Kafka request (a
 * follower's replica Fetch) to the broker. A request that crossed from another thread
 * comes as its bytes (a `NodeFrame`): it is decoded into the same typed request (a
 * client API's request validated as a client's is), handled on the same path, and its
 * answer encoded back into a frame.
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
    if (isNodeFrame(request)) return (await this.handleFrame(request, context)) as unknown as ResponseFor<R>;
    if (isPeerFetch(request)) {
      // A replica Fetch from another worker in its layout (peer-fetch.ts): read, validated, answered in its buffer.
      const broker = this.checkServing();
      const fetch = readPeerFetch(request);
      return peerFetchAnswer(await broker.handle(fetch.body as Request, context), peerFetchBuffer(request)) as unknown as ResponseFor<R>;
    }
    if (!isNodeRequest(request)) throw new TributaryError('INVALID_REQUEST', `node ${this.nodeId} takes only node requests`);
    const answer: NodeResponse = { apiKey: request.apiKey, body: await this.answer(request, context) };
    return answer as unknown as ResponseFor<R>;
  }

  /** A request that crossed from another thread as its bytes: decoded, answered, the answer encoded. */
  private async handleFrame({ apiKey, frame }: NodeFrame, context?: RequestContext): Promise<NodeFrame> {
    const header = peekRequestHeader(frame);
    if (header.apiKey !== apiKey) throw new TributaryError('INVALID_REQUEST', `a node frame of api ${apiKey} holds a request of api ${header.apiKey}`);
    if (!isNodeApi(header.apiKey, header.apiVersion)) this.checkServing(); // before decoding a request nobody will answer
    const request = decodeNodeMessage(frame);
    const body = await this.answer(request, context);
    return fetchAnswerFrame(request, body, encodeNodeAnswer(request, body));
  }

  private checkServing(): Broker {
    if (!this.serving || this.broker === undefined) throw new TributaryError('NETWORK_EXCEPTION', `node ${this.nodeId} is not serving`);
    return this.broker;
  }

  private async answer(request: NodeRequest, context?: RequestContext): Promise<unknown> {
    if (isNodeApi(request.apiKey, request.apiVersion)) return this.nodeRequest(request);
    return this.checkServing().handle(request.body as Request, context);
  }

  private async nodeRequest(request: NodeRequest): Promise<unknown> {
    const { apiKey, apiVersion, correlationId } = request;
    const body = request.body as Record<string, unknown>;
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
        return { errorCode: 'NONE', topics: [] };
      }
      default: {
        const key = apiKey as ControllerApiKey;
        const { request: controllerRequest, inner } = controllerRequestFromBody(key, body);
        if (this.metadata === undefined) throw new TributaryError('NOT_CONTROLLER', `node ${this.nodeId} is starting`);
        const response = await this.metadata.submit(controllerRequest);
        return controllerResponseBody(key, response, inner);
      }
    }
  }
}
