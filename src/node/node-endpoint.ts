import type { Broker } from '../broker/broker.js';
import type { RequestContext } from '../broker/request-context.js';
import type { ControllerNode } from '../controller/controller-node.js';
import type { Request, ResponseFor } from '../protocol/requests.js';
import type { NodeHandler } from '../transport/transport.js';
import { TributaryError } from '../util/errors.js';
import { NodeApiKey, type NodeRequest } from './node-requests.js';
import type { TransportRaftNetwork } from './raft-link.js';

/**
 * What one node answers to the other nodes: the node-internal requests
 * (`node-requests.ts`: the controller's, Raft's, a leader's OpenReplica) and, for replica
 * fetches, the broker's Kafka requests. It is registered with the nodes' transport from
 * the moment the node starts opening (a Raft message may come before the broker exists;
 * it is delivered once the metadata replica has registered, dropped before), and the
 * broker's requests are answered only while the node `serving` (registered with the
 * controller and not stopping), as its client-facing listeners are.
 * @internal
 */
export class NodeEndpoint implements NodeHandler {
  metadata: ControllerNode | undefined;
  broker: Broker | undefined;
  serving = false;

  constructor(
    readonly nodeId: number,
    readonly raft: TransportRaftNetwork,
  ) {}

  async handle<R extends Request>(request: R, context?: RequestContext): Promise<ResponseFor<R>> {
    const r = request as unknown as NodeRequest;
    switch (r.apiKey) {
      case NodeApiKey.Raft:
        this.raft.deliver(r.message);
        return {} as ResponseFor<R>;
      case NodeApiKey.Controller: {
        if (this.metadata === undefined) throw new TributaryError('NOT_CONTROLLER', `node ${this.nodeId} is starting`);
        return (await this.metadata.submit(r.request)) as unknown as ResponseFor<R>;
      }
      case NodeApiKey.OpenReplica:
        void this.broker?.openReplica(r.topic, r.partition);
        return {} as ResponseFor<R>;
      default:
        if (!this.serving || this.broker === undefined) throw new TributaryError('NETWORK_EXCEPTION', `node ${this.nodeId} is not serving`);
        return this.broker.handle(request, context);
    }
  }
}
