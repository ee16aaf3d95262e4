/**
 * How one node's request reaches another: as Kafka's own bytes. Every request between
 * nodes (Raft's, a broker's to the controller, a replica fetch, a leader's LeaderAndIsr) is
 * one encoded Kafka request message (header and body, no size prefix) in a `NodeFrame`,
 * and its answer is the encoded response in another. The frame travels through the
 * nodes' `Transport` like any request (its `apiKey` is the message's own, so the
 * transport's shape check holds); over a `MessagePort` it is one byte buffer, transferred,
 * instead of a structured clone of nested objects.
 *
 * A client can never send a frame: a client's requests reach the broker, which has no
 * `frame` API, never the node endpoint (`node-endpoint.ts`).
 * @internal
 */
import type { Request } from '../protocol/requests.js';
import { peekRequestHeader } from '../protocol/wire/node-codec.js';
import { handOver } from '../transport/port/messages.js';
import type { SendOptions, Transport } from '../transport/transport.js';
import { TributaryError } from '../util/errors.js';

/** One encoded request or response between nodes. */
export interface NodeFrame {
  readonly apiKey: number;
  readonly frame: Uint8Array;
}

/** Whether a request on the nodes' transport is a frame. */
export function isNodeFrame(request: unknown): request is NodeFrame {
  return typeof request === 'object' && request !== null && typeof (request as NodeFrame).apiKey === 'number' && (request as NodeFrame).frame instanceof Uint8Array;
}

/**
 * Sends one encoded request to `nodeId` and resolves with the encoded response. An answer
 * that is not a frame is `CORRUPT_MESSAGE`; a transport's own errors pass through.
 */
export async function sendFrame(nodes: Transport, nodeId: number, apiKey: number, frame: Uint8Array, options?: SendOptions): Promise<Uint8Array> {
  const answer: unknown = await nodes.send(nodeId, { apiKey, frame } as unknown as Request, options);
  if (!isNodeFrame(answer)) throw new TributaryError('CORRUPT_MESSAGE', `node ${nodeId} answered a node request with something other than a response message`);
  return answer.frame;
}

/**
 * The frame of an answer. Its bytes were encoded for this answer alone, so they are handed
 * over: a port transport transfers them instead of copying them once more (a replica
 * Fetch answer is the largest message between nodes).
 */
export function responseFrame(apiKey: number, frame: Uint8Array): NodeFrame {
  return { apiKey, frame: handOver(frame) };
}

/**
 * Whether a request on the nodes' transport is a Raft message (Vote, BeginQuorumEpoch,
 * FetchSnapshot, or a Fetch in KRaft's form, v15 and later): a simulated network loses
 * those silently, as KRaft's channel does.
 */
export function isRaftFrame(request: unknown): boolean {
  if (!isNodeFrame(request)) return false;
  const k = request.apiKey;
  if (k === 52 || k === 53 || k === 59) return true;
  if (k !== 1) return false;
  try {
    return peekRequestHeader(request.frame).apiVersion >= 15;
  } catch {
    return false;
  }
}
