/**
 * The replica Fetch between two node workers of one process (`threads: 'per-node'`), as
 * typed objects instead of Kafka bytes.
 *
 * **Why not a frame.** Every other node request crosses a worker encoded as one Kafka
 * request message (`node-requests.ts`). The replica Fetch is the one that runs all the
 * time: about one round per Produce request at RF 3, and its codec (the request encoded,
 * decoded and validated, the answer encoded into a fresh frame and decoded again) cost
 * about 20 us a round, 0.15 us of the 1.5 us of CPU a replicated record costs per-node
 * (bench/results/2026-12-07h-pernode.md). Across a `MessagePort` the typed request is a
 * small structured clone, and the answer's record batches are copied once into a buffer
 * the port transfers (`forTransfer`), the same single copy the frame made; the rest of
 * the codec is gone. The request is the same typed `NodeRequest` the inline path carries
 * (the one request language: the objects the codec decodes to), so the leader's handler
 * is the same.
 *
 * **Hostile input.** The envelope (`PeerFetch`) is checked and its body validated as a
 * client's request is (`validateRequest`), where the frame path decoded and validated it;
 * the answer is checked for every field the follower's fetcher reads
 * (`takePeerFetchAnswer`: `CORRUPT_MESSAGE` otherwise), where the frame path decoded it.
 *
 * **Trust.** An answer whose every batch came from the leader's tail is marked `checked`,
 * and the follower marks the batches it received (see `fetchAnswerFrame` in
 * `node-requests.ts` for why the node ports are no trust boundary for those bytes: the
 * port transport copies them into fresh memory and transfers it, exactly as the frame).
 * @internal
 */
import type * as P from '../protocol/index.js';
import { validateRequest } from '../protocol/validate.js';
import { handOverBuffer } from '../util/hand-over.js';
import { isNodeApi } from '../protocol/wire/node-codec.js';
import { TributaryError } from '../util/errors.js';
import { corruptAnswer, isErrorCode, isInt32, isInt64, isRecord } from './typed-answers.js';
import { markFetchRecords, recordsAllMarked, type NodeRequest, type NodeResponse } from './node-requests.js';

/** A replica Fetch crossing to another node worker as an object. */
export interface PeerFetch {
  readonly apiKey: 1;
  readonly peerFetch: NodeRequest;
}

/** The answer to a `PeerFetch`: the Fetch response, and whether every batch in it is leader-checked bytes. */
export interface PeerFetchAnswer extends NodeResponse {
  readonly checked?: boolean;
}

/** Whether `r` is a broker's replica Fetch (the client API's Fetch, not KRaft's). */
export function isReplicaFetch(r: NodeRequest): boolean {
  return r.apiKey === 1 && !isNodeApi(r.apiKey, r.apiVersion);
}

export function isPeerFetch(request: unknown): request is PeerFetch {
  return typeof request === 'object' && request !== null && (request as PeerFetch).apiKey === 1 && 'peerFetch' in request;
}

/** The typed request inside a `PeerFetch` from another worker, validated: `INVALID_REQUEST` for anything else. */
export function readPeerFetch(message: PeerFetch): NodeRequest {
  const r = message.peerFetch as Partial<NodeRequest> | null;
  if (typeof r !== 'object' || r === null || r.apiKey !== 1 || typeof r.apiVersion !== 'number' || typeof r.correlationId !== 'number' || !(typeof r.clientId === 'string' || r.clientId === null)) {
    throw new TributaryError('INVALID_REQUEST', 'a peer fetch without a replica Fetch request in it');
  }
  const request = r as NodeRequest;
  if (!isReplicaFetch(request)) throw new TributaryError('INVALID_REQUEST', `a peer fetch holds a Fetch of version ${request.apiVersion}, not a replica's`);
  const body = validateRequest(request.body);
  if (body.apiKey !== 1) throw new TributaryError('INVALID_REQUEST', 'a peer fetch holds a request of another API');
  return { apiKey: 1, apiVersion: request.apiVersion, correlationId: request.correlationId, clientId: request.clientId, body };
}

/**
 * The leader's answer to a peer fetch: `checked` when every batch is a view of its tail,
 * and then those views copied here, back to back, into one buffer of fresh memory that is
 * handed over (`util/hand-over.ts`), so the port transfers it as it is instead of planning
 * and making the copy itself (the same one copy: the tail's chunks are shared by both
 * followers and stay with the leader). A fresh buffer written by this thread alone and
 * transferred is what the trust argument asks (`fetchAnswerFrame` in `node-requests.ts`).
 */
export function peerFetchAnswer(body: unknown): PeerFetchAnswer {
  if (!recordsAllMarked(body)) return { apiKey: 1, body };
  const res = body as P.FetchResponse;
  let size = 0;
  for (const t of res.responses) for (const p of t.partitions) size += p.records?.length ?? 0;
  const out = Buffer.allocUnsafeSlow(size); // unpooled, every byte written below
  let at = 0;
  const responses = res.responses.map((t) => ({
    ...t,
    partitions: t.partitions.map((p) => {
      const records = p.records;
      if (records === null || records === undefined || records.length === 0) return p;
      out.set(records, at);
      const view = handOverBuffer(out.subarray(at, (at += records.length)));
      return { ...p, records: view };
    }),
  }));
  return { apiKey: 1, body: { ...res, responses }, checked: true };
}

/**
 * The follower's side: the Fetch response in an answer from another worker, after
 * checking every field the replica fetcher reads (`CORRUPT_MESSAGE` otherwise,
 * `typed-answers.ts`), with the batches of a `checked` answer marked as checksummed here.
 */
export function takePeerFetchAnswer(request: NodeRequest, answer: unknown, from: number): unknown {
  const bad = (why: string): TributaryError => corruptAnswer(`node ${from}`, 'replica fetch', why);
  if (!isRecord(answer)) throw bad('something other than a response');
  const a = answer as Partial<PeerFetchAnswer>;
  const body = a.body as { responses?: unknown } | null | undefined;
  if (a.apiKey !== 1 || !isRecord(body) || !Array.isArray(body.responses)) throw bad('something other than a Fetch response');
  for (const topic of body.responses as unknown[]) {
    if (!isRecord(topic) || typeof topic['topic'] !== 'string' || !Array.isArray(topic['partitions'])) throw bad('a malformed topic');
    for (const q of topic['partitions'] as unknown[]) {
      if (!isRecord(q) || !isInt32(q['partitionIndex']) || !isErrorCode(q['errorCode']) || !isInt64(q['highWatermark']) || !isInt64(q['logStartOffset'])) throw bad('a malformed partition');
      const records = q['records'];
      if (records !== undefined && records !== null && !(records instanceof Uint8Array)) throw bad('records that are not bytes');
      const d = q['divergingEpoch'];
      if (d !== undefined && d !== null && (!isRecord(d) || !isInt32(d['epoch']) || !isInt64(d['endOffset']))) throw bad('a malformed diverging epoch');
    }
  }
  markFetchRecords(request, a.checked, body);
  return body;
}
