/**
 * The replica Fetch between two node workers of one process (`threads: 'per-node'`), as a
 * fixed binary layout (`peer-fetch-layout.ts`) instead of Kafka bytes or typed objects.
 *
 * **Why neither a frame nor objects.** Every other node request crosses a worker encoded
 * as one Kafka request message (`node-requests.ts`). The replica Fetch is the one that runs
 * all the time: about one round per Produce message to a leader at RF 3. Its codec (the
 * request encoded, decoded and validated, the answer encoded into a fresh frame and
 * decoded again) cost about 20 us a round (bench/results/2026-12-07h-pernode.md); as typed
 * objects (session 8) the port's structured clone of the object graphs cost about 5 us of
 * deserializing and 2 us of serializing a message, most of the 206 ns a record per-node
 * spent on its messages (bench/results/2026-12-07i-pernode-account.md). In the layout the
 * request is a few hundred bytes the port clones as one typed array, and the answer one
 * buffer, its header and then the batches, which the port transfers: one copy of the
 * leader's tail (into the answer's own buffer), no object graph for V8 to clone. The
 * request is still Kafka's Fetch (v12, the fields of the one request language): the
 * leader's handler gets the same typed `FetchRequest` it gets from any other route.
 *
 * **Hostile input.** The leader reads the request's layout (`INVALID_REQUEST` for bytes that
 * are not one) and validates its body as a client's request is (`validateRequest`); the
 * follower reads the answer's layout, every count, length, offset, error code and flag
 * checked against the buffer (`CORRUPT_MESSAGE` otherwise, naming the leader).
 *
 * **Trust.** An answer whose every batch came from the leader's tail is flagged `checked`,
 * and the follower marks the batches it received (see `fetchAnswerFrame` in
 * `node-requests.ts` for why the node ports are no trust boundary for those bytes: the
 * answer's buffer is fresh memory written by the leader's thread alone, and transferred).
 * @internal
 */
import type * as P from '../protocol/index.js';
import { validateRequest } from '../protocol/validate.js';
import { handOverBuffer } from '../util/hand-over.js';
import { isNodeApi } from '../protocol/wire/node-codec.js';
import { TributaryError } from '../util/errors.js';
import { corruptAnswer, isRecord, markBatches } from './typed-answers.js';
import { recordsAllMarked, type NodeRequest } from './node-requests.js';
import { isRoundBuffer, readPeerFetchAnswer, readPeerFetch as readLayout, writePeerFetch, writePeerFetchAnswer } from './peer-fetch-layout.js';

/** A replica Fetch crossing to another node worker: the request in its layout. */
export interface PeerFetch {
  readonly apiKey: 1;
  readonly peerFetch: Uint8Array;
}

/** The answer to a `PeerFetch`: the Fetch response in its layout, a buffer the port transfers. */
export interface PeerFetchAnswer {
  readonly apiKey: 1;
  readonly peerFetchAnswer: Uint8Array;
}

/** Whether `r` is a broker's replica Fetch (the client API's Fetch, not KRaft's). */
export function isReplicaFetch(r: NodeRequest): boolean {
  return r.apiKey === 1 && !isNodeApi(r.apiKey, r.apiVersion);
}

/**
 * The message `PeerTransport` posts for a replica Fetch (`r` one: `isReplicaFetch`),
 * written into `spare` (the buffer of the last answer from the same node) when it fits.
 * The buffer is handed over: the port transfers it, and the leader writes its answer into
 * it (`peerFetchAnswer`), so one buffer goes back and forth between a follower and a
 * leader instead of two fresh ones a round.
 */
export function peerFetchMessage(r: NodeRequest, spare?: ArrayBuffer): PeerFetch {
  return { apiKey: 1, peerFetch: handOverBuffer(writePeerFetch(r, r.body as P.FetchRequest, spare)) };
}

export function isPeerFetch(request: unknown): request is PeerFetch {
  return typeof request === 'object' && request !== null && (request as PeerFetch).apiKey === 1 && 'peerFetch' in request;
}

/** The typed request inside a `PeerFetch` from another worker, validated: `INVALID_REQUEST` for anything else. */
export function readPeerFetch(message: PeerFetch): NodeRequest {
  const bytes: unknown = message.peerFetch;
  if (!(bytes instanceof Uint8Array)) throw new TributaryError('INVALID_REQUEST', 'a peer fetch without a replica Fetch request in it');
  const { header, body: read } = readLayout(bytes);
  const request: NodeRequest = { apiKey: 1, apiVersion: header.apiVersion, correlationId: header.correlationId, clientId: header.clientId, body: read };
  if (!isReplicaFetch(request)) throw new TributaryError('INVALID_REQUEST', `a peer fetch holds a Fetch of version ${request.apiVersion}, not a replica's`);
  const body = validateRequest(read);
  return { ...request, body };
}

/** The buffer a peer fetch came in, for its answer: a plain `ArrayBuffer` this thread now owns (it was transferred or cloned), of a size worth reusing. */
export function peerFetchBuffer(message: PeerFetch): ArrayBuffer | undefined {
  const b: unknown = (message.peerFetch as unknown) instanceof Uint8Array ? message.peerFetch.buffer : undefined;
  return isRoundBuffer(b) ? b : undefined;
}

/**
 * The leader's answer to a peer fetch, in its layout: `checked` when every batch is a view
 * of its tail. The batches are copied once, straight into the answer's own buffer, which
 * is handed over (`util/hand-over.ts`) so the port transfers it as it is: the one copy the
 * trust argument asks for (`fetchAnswerFrame` in `node-requests.ts`), and the only one.
 * That buffer is `into` when given and large enough: the buffer the request came in
 * (`peerFetchBuffer`), read whole before the broker was asked, transferred to this thread
 * and so written by nobody else while it is here (a `SharedArrayBuffer` is never taken:
 * `isRoundBuffer`); else fresh memory.
 */
export function peerFetchAnswer(body: unknown, into?: ArrayBuffer): PeerFetchAnswer {
  const checked = recordsAllMarked(body);
  return { apiKey: 1, peerFetchAnswer: handOverBuffer(writePeerFetchAnswer(body as P.FetchResponse, checked, into)) };
}

/**
 * The follower's side: the Fetch response in an answer from another worker, read from its
 * layout (`CORRUPT_MESSAGE` for anything else), the batches of a `checked` answer marked
 * as checksummed here; and the answer's buffer, for the next request to the same node
 * (`peerFetchMessage`), if it is one worth reusing.
 *
 * **Ownership.** The batches are views of that buffer, so they are good until the next
 * replica Fetch to the same node, which transfers the buffer back (the views become
 * empty). The replica fetcher is the one sender (`BrokerChannel`): it sends a leader its
 * next Fetch only once it has appended the last answer (the log copies the bytes, a
 * follower keeps no view of them) and flushed.
 */
export function takePeerFetchAnswer(answer: unknown, from: number): { body: P.FetchResponse; spare: ArrayBuffer | undefined } {
  const bytes = isRecord(answer) && answer['apiKey'] === 1 ? answer['peerFetchAnswer'] : undefined;
  if (!(bytes instanceof Uint8Array)) throw corruptAnswer(`node ${from}`, 'replica fetch', 'something other than a fetch answer');
  const { body, checked, batches } = readPeerFetchAnswer(bytes, `node ${from}`);
  if (checked) markBatches(batches);
  const spare: unknown = bytes.buffer;
  return { body, spare: isRoundBuffer(spare) ? spare : undefined };
}
