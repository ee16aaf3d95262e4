/**
 * How one node's request reaches another: as Kafka's own request, typed. Every request
 * between nodes (Raft's, a broker's to the controller, a replica fetch, a leader's
 * LeaderAndIsr) is a `NodeRequest`: the api key, version, correlation id and client id of
 * its request header, and its body as the codec reads and writes it (a node API's wire
 * shape, `node-codec.ts`; for any other API, the replica Fetch, the in-process `Request`
 * the client codec decodes to). Its answer is a `NodeResponse` with the response body in
 * the same language. In one thread (`threads: 'inline'`, a node's request to itself) the
 * typed objects travel as they are and nothing is encoded; where a request crosses to
 * another thread (`PeerTransport`), it is encoded there as one Kafka request message in a
 * `NodeFrame` (one byte buffer, transferred, instead of a structured clone of nested
 * objects), and the node endpoint on the other side decodes the frame into the same typed
 * request and encodes its answer (`node-endpoint.ts`). One handler, whatever the route.
 *
 * **Ownership.** A typed request or response, and every array and byte array in it, is
 * never changed by anyone once sent: the sender may send the same request again (the
 * controller link retries one), and the receiver may keep parts of it (a Raft entry's
 * data, a controller record's lists). The replica Fetch answer's record batches are views
 * of the buffer the leader read them into: a broker reads each fetch into a buffer of its
 * own (it never reads `into` a reused one, `storage/log.ts`), so the follower takes them
 * as they are, and its log's append copies them. A sender that reuses a buffer must copy
 * what it sends, as the transport contract's ownership rule asks of a client.
 *
 * A client can never send a node request: a client's requests reach the broker, never
 * the node endpoint (`node-endpoint.ts`).
 * @internal
 */
import type { Request, Response } from '../protocol/requests.js';
import { validateRequest } from '../protocol/validate.js';
import { decodeRequest, decodeResponse, encodeRequest, encodeResponseChunks } from '../protocol/wire/codec.js';
import { decodeNodeRequest, decodeNodeResponse, encodeNodeRequest, encodeNodeResponse, isNodeApi, peekRequestHeader, type NodeApiKey } from '../protocol/wire/node-codec.js';
import { checksummedHere } from '../record/checksummed-here.js';
import { handOver } from '../transport/port/messages.js';
import type { SendOptions, Transport } from '../transport/transport.js';
import { TributaryError } from '../util/errors.js';
import { markBatches } from './typed-answers.js';

/** One request between nodes, typed: its header's fields and its body (the module comment). */
export interface NodeRequest<B = unknown> {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
  readonly body: B;
}

/** The answer to a `NodeRequest`: the response body in the request's version. */
export interface NodeResponse<B = unknown> {
  readonly apiKey: number;
  readonly body: B;
}

/** One encoded request or response between nodes. */
export interface NodeFrame {
  readonly apiKey: number;
  readonly frame: Uint8Array;
  /**
   * On a replica Fetch answer only: every record batch in it is bytes whose CRC the
   * answering node checked in its own memory (its leader's tail, `storage/append-tail.ts`),
   * copied into this frame, which was written for this answer alone and handed over
   * (see `fetchAnswerFrame` for why a follower of the same process may then skip its CRC
   * pass). Honoured only by `PeerTransport`, on the node ports the supervisor made.
   */
  readonly checked?: boolean;
}

/** Whether a request on the nodes' transport is a frame. */
export function isNodeFrame(request: unknown): request is NodeFrame {
  return typeof request === 'object' && request !== null && typeof (request as NodeFrame).apiKey === 'number' && (request as NodeFrame).frame instanceof Uint8Array;
}

/** Whether a request on the nodes' transport is a typed node request. */
export function isNodeRequest(request: unknown): request is NodeRequest {
  if (typeof request !== 'object' || request === null) return false;
  const r = request as NodeRequest;
  return typeof r.apiKey === 'number' && typeof r.apiVersion === 'number' && typeof r.correlationId === 'number' && 'body' in r;
}

/**
 * Sends one typed request to `nodeId` and resolves with the answer's body. An answer that
 * is not a `NodeResponse` is `CORRUPT_MESSAGE`; a transport's own errors pass through.
 */
export async function sendNodeRequest<B>(nodes: Transport, nodeId: number, request: NodeRequest, options?: SendOptions): Promise<B> {
  const answer: unknown = await nodes.send(nodeId, request as unknown as Request, options);
  if (typeof answer !== 'object' || answer === null || !('body' in answer)) throw new TributaryError('CORRUPT_MESSAGE', `node ${nodeId} answered a node request with something other than a response`);
  return (answer as NodeResponse<B>).body;
}

/**
 * Sends one encoded request to `nodeId` and resolves with the encoded response. An answer
 * that is not a frame is `CORRUPT_MESSAGE`; a transport's own errors pass through.
 */
export async function sendFrame(nodes: Transport, nodeId: number, apiKey: number, frame: Uint8Array, options?: SendOptions): Promise<Uint8Array> {
  return (await sendForFrame(nodes, nodeId, apiKey, frame, options)).frame;
}

/** `sendFrame`, resolving with the whole answer (its frame and its `checked` mark). */
export async function sendForFrame(nodes: Transport, nodeId: number, apiKey: number, frame: Uint8Array, options?: SendOptions): Promise<NodeFrame> {
  const answer: unknown = await nodes.send(nodeId, { apiKey, frame } as unknown as Request, options);
  if (!isNodeFrame(answer)) throw new TributaryError('CORRUPT_MESSAGE', `node ${nodeId} answered a node request with something other than a response message`);
  return answer;
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
 * The frame of a replica Fetch answer (`r` a client-API Fetch, `body` its answer), marked
 * `checked` when every record batch in it carries this thread's checksummed-here mark
 * (`record/checksummed-here.ts`: in a node's thread, only its leader tail's views do).
 *
 * **Why a follower of the same process may trust the mark (the trust boundary).** The
 * follower's CRC pass exists to catch bytes changed between the check that let them in and
 * the follower's log: by a disk, a network, or a hand outside the library. Between two node
 * workers of one process none of these is in the path: the batches were checked by the
 * leader as they entered its thread (or taken with the producer's mark) and kept in its
 * tail, whose chunks are never written again; `encodeNodeAnswer` copies them into a frame
 * of fresh memory that only this thread has seen; the port transport transfers that
 * buffer (it is handed over), so the leader's view is detached and nobody can write it
 * after the post; and the port is one of the node ports the supervisor made between two
 * node workers, which no user code ever holds (a client's handle reaches a broker, never a
 * `PeerTransport`). So the bytes the follower decodes are the bytes the leader checked,
 * exactly as when a follower in the leader's own thread takes a view of its tail. Bytes the
 * leader read from its file (where disk damage lives) carry no mark, so one such batch
 * leaves the whole answer unmarked and the follower checks it. A `SharedArrayBuffer` would
 * break the argument (the writer keeps access): the frame is never one.
 */
export function fetchAnswerFrame(r: NodeRequest, body: unknown, frame: Uint8Array): NodeFrame {
  const checked = r.apiKey === 1 && !isNodeApi(r.apiKey, r.apiVersion) && recordsAllMarked(body);
  return checked ? { apiKey: r.apiKey, frame: handOver(frame), checked } : responseFrame(r.apiKey, frame);
}

interface FetchBodyRecords {
  readonly responses?: readonly { readonly partitions?: readonly { readonly records?: Uint8Array | null }[] }[];
}

/** Whether some partition of a Fetch answer has records, and every one that has is marked. */
export function recordsAllMarked(body: unknown): boolean {
  const responses = (body as FetchBodyRecords | undefined)?.responses;
  if (!Array.isArray(responses)) return false;
  let any = false;
  for (const t of responses) {
    for (const p of t.partitions ?? []) {
      const records = p.records;
      if (records === undefined || records === null || records.length === 0) continue;
      if (!checksummedHere(records)) return false;
      any = true;
    }
  }
  return any;
}

/**
 * Puts this thread's checksummed-here mark on the record batches of a decoded replica Fetch
 * answer that came `checked` from a peer node (`fetchAnswerFrame`, `peer-fetch.ts`). Only
 * `PeerTransport` calls it, for answers on the node ports.
 */
export function markFetchRecords(r: NodeRequest, checked: boolean | undefined, body: unknown): void {
  if (checked !== true || r.apiKey !== 1 || isNodeApi(r.apiKey, r.apiVersion)) return;
  const responses = (body as FetchBodyRecords | undefined)?.responses;
  if (!Array.isArray(responses)) return;
  const batches: Uint8Array[] = [];
  for (const t of responses) for (const p of t.partitions ?? []) if (p.records instanceof Uint8Array) batches.push(p.records);
  markBatches(batches);
}

/** Encodes a typed request as one Kafka request message (no size prefix). */
export function encodeNodeMessage(r: NodeRequest): Uint8Array {
  if (isNodeApi(r.apiKey, r.apiVersion)) return encodeNodeRequest(r.apiKey as NodeApiKey, r.apiVersion, r.body as never, r.correlationId, r.clientId);
  return encodeRequest(r.body as Request, { apiVersion: r.apiVersion, correlationId: r.correlationId, clientId: r.clientId }).subarray(4);
}

/**
 * Decodes one request message from another node into its typed request: `INVALID_REQUEST`
 * for bytes that do not decode (a request of any API but the node APIs is also validated,
 * as a client's is), `UNSUPPORTED_VERSION` for a version not served.
 */
export function decodeNodeMessage(frame: Uint8Array): NodeRequest {
  const header = peekRequestHeader(frame);
  if (isNodeApi(header.apiKey, header.apiVersion)) {
    const { body } = decodeNodeRequest(frame);
    return { apiKey: header.apiKey, apiVersion: header.apiVersion, correlationId: header.correlationId, clientId: header.clientId, body };
  }
  const decoded = decodeRequest(frame);
  return { apiKey: header.apiKey, apiVersion: header.apiVersion, correlationId: header.correlationId, clientId: header.clientId, body: validateRequest(decoded.request) };
}

/** Encodes the answer to `r` as one Kafka response message (no size prefix), in `r`'s version. */
export function encodeNodeAnswer(r: NodeRequest, body: unknown): Uint8Array {
  if (isNodeApi(r.apiKey, r.apiVersion)) return encodeNodeResponse(r.apiKey as NodeApiKey, r.apiVersion, body as never, r.correlationId);
  return joinWithoutSize(encodeResponseChunks(body as Response, { apiVersion: r.apiVersion, correlationId: r.correlationId, request: r.body as Request }));
}

/** Decodes the response message answering `r`: `CORRUPT_MESSAGE` for bytes that do not decode. */
export function decodeNodeAnswer(r: NodeRequest, frame: Uint8Array): unknown {
  if (isNodeApi(r.apiKey, r.apiVersion)) return decodeNodeResponse(r.apiKey as NodeApiKey, r.apiVersion, frame).body;
  return decodeResponse(r.apiKey as Request['apiKey'], r.apiVersion, frame).response;
}

/**
 * Whether a request on the nodes' transport is a Raft message (Vote, BeginQuorumEpoch,
 * FetchSnapshot, or a Fetch in KRaft's form, v15 and later), typed or framed: a simulated
 * network loses those silently, as KRaft's channel does.
 */
export function isRaftFrame(request: unknown): boolean {
  if (isNodeRequest(request)) return isRaftApi(request.apiKey, request.apiVersion);
  if (!isNodeFrame(request)) return false;
  try {
    return isRaftApi(request.apiKey, peekRequestHeader(request.frame).apiVersion);
  } catch {
    return false;
  }
}

function isRaftApi(k: number, version: number): boolean {
  return k === 52 || k === 53 || k === 59 || (k === 1 && version >= 15);
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
