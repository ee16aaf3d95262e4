/**
 * The Produce request's hop from the calling thread to a node's worker
 * (`threads: 'per-node'`): whether the leader must checksum its batches again.
 *
 * The calling thread's producer writes each batch's CRC and marks the bytes
 * (`record/checksummed-here.ts`); in one thread the leader takes that mark and skips its
 * own CRC pass. Across to a node's worker the mark is lost (a `MessagePort` copies bytes,
 * never a property), so the leader checked every batch a second time: about 20 ns a
 * 100-byte record, a third of the CRC work of a replicated record
 * (bench/results/2026-12-07h-pernode.md). Here the supervisor's relay says, in the request
 * context it already sends on that port, that every batch of a Produce request carried
 * the mark when it was copied for the hop (`relayContext`), and the node's worker puts the
 * mark back on the copies (`takeRelayedMarks`).
 *
 * **Why this is no trust boundary.** The copies are made by the relay's port transport in
 * the same synchronous call that looked at the marks (`PortTransport.sendAs` copies into
 * buffers of its own before it returns), into memory no user code ever sees, and cross on
 * the node's `clients` port, which only the supervisor holds (the port server trusts its
 * contexts for that reason already). A request from a handle's worker or from a Kafka
 * listener reaches the relay as fresh bytes without the mark, so it goes unmarked and is
 * checked, as before. Only Produce requests are marked, only when every batch is.
 * @internal
 */
import type { RequestContext } from '../broker/request-context.js';
import { inlineContext } from '../broker/request-context.js';
import { ApiKey } from '../protocol/api-keys.js';
import type { ProduceRequest, ProduceResponse } from '../protocol/produce.js';
import type { Request, Response } from '../protocol/requests.js';
import { checksummedHere } from '../record/checksummed-here.js';
import type { PortTransport } from '../transport/port/port-transport.js';
import { laysOut } from '../transport/port/produce-layout.js';
import type { TributaryError } from '../util/errors.js';
import { corruptAnswer, isErrorCode, isInt32, isInt64, isRecord, markBatches } from '../node/typed-answers.js';

/** A request context that also says the Produce request's batches were checksummed by the calling thread. */
interface RelayedContext extends RequestContext {
  readonly batchesChecked?: boolean;
}

/**
 * The record batches of a Produce request, whatever shape it arrived in: in the node's
 * worker this runs before the broker validates the request (`KafkaApis`), so a field of
 * the wrong type is skipped here and refused there (`INVALID_REQUEST`), never a throw.
 */
function batchesOf(request: Request): Uint8Array[] | undefined {
  if (request.apiKey !== ApiKey.Produce) return undefined;
  const out: Uint8Array[] = [];
  const topics: unknown = (request as ProduceRequest).topicData;
  if (!Array.isArray(topics)) return out;
  for (const t of topics as unknown[]) {
    const parts: unknown = isRecord(t) ? t['partitionData'] : undefined;
    if (!Array.isArray(parts)) continue;
    for (const p of parts as unknown[]) {
      const records: unknown = isRecord(p) ? p['records'] : undefined;
      if (records instanceof Uint8Array && records.length > 0) out.push(records);
    }
  }
  return out;
}

/** The context the relay sends with `request` to a node's worker: `context`, plus `batchesChecked` when every batch carries this thread's mark. */
export function relayContext(request: Request, context: RequestContext | undefined): RequestContext | undefined {
  const batches = batchesOf(request);
  if (batches === undefined || batches.length === 0) return context;
  for (const b of batches) if (!checksummedHere(b)) return context;
  const relayed: RelayedContext = { ...(context ?? inlineContext), batchesChecked: true };
  return relayed;
}

/** In the node's worker: puts the mark back on a relayed Produce request's batches when its (trusted) context says they carried it. */
export function takeRelayedMarks(request: Request, context: RequestContext | undefined): void {
  if ((context as RelayedContext | undefined)?.batchesChecked !== true) return;
  markBatches(batchesOf(request) ?? []);
}

/**
 * In the calling thread: the answer to a Produce request relayed to node `from`, after
 * checking every field the producer (or the Kafka listener that encodes it) reads
 * (`CORRUPT_MESSAGE` otherwise, `node/typed-answers.ts`). The broker answers a Produce
 * with its topics and partitions in the request's order (`KafkaApis`), so the answer must
 * name exactly those: an acknowledgement of a partition that was not asked for, or a
 * missing one, is refused rather than matched by guess.
 */
export function takeProduceAnswer(request: ProduceRequest, answer: unknown, from: number): ProduceResponse {
  const bad = (why: string): TributaryError => corruptAnswer(`node ${from}`, 'Produce request', why);
  if (!isRecord(answer) || answer['apiKey'] !== ApiKey.Produce || !Array.isArray(answer['responses'])) throw bad('something other than a Produce response');
  const topics = answer['responses'] as unknown[];
  if (topics.length !== request.topicData.length) throw bad(`${topics.length} topics for ${request.topicData.length} asked`);
  for (let i = 0; i < topics.length; i++) {
    const t = topics[i];
    const asked = request.topicData[i]!;
    if (!isRecord(t) || t['name'] !== asked.name || !Array.isArray(t['partitionResponses']) || t['partitionResponses'].length !== asked.partitionData.length) throw bad(`a malformed answer for topic ${asked.name}`);
    const parts = t['partitionResponses'] as unknown[];
    for (let k = 0; k < parts.length; k++) {
      const p = parts[k];
      if (!isRecord(p) || p['index'] !== asked.partitionData[k]!.index || !isErrorCode(p['errorCode']) || !isInt64(p['baseOffset']) || !isInt64(p['logAppendTimeMs']) || !isInt64(p['logStartOffset'])) {
        throw bad(`a malformed partition answer for ${asked.name}-${asked.partitionData[k]!.index}`);
      }
      const m = p['errorMessage'];
      if (m !== undefined && m !== null && typeof m !== 'string') throw bad('an error message that is not a string');
      const e = p['recordErrors'];
      if (e !== undefined && (!Array.isArray(e) || !e.every((r) => isRecord(r) && isInt32(r['batchIndex']) && (r['batchIndexErrorMessage'] === null || typeof r['batchIndexErrorMessage'] === 'string')))) throw bad('malformed record errors');
    }
  }
  const throttle = answer['throttleTimeMs'];
  if (throttle !== undefined && !isInt32(throttle)) throw bad('a malformed throttle time');
  return answer as unknown as ProduceResponse;
}

/**
 * The supervisor's relay of one request to node `nodeId` in its worker, over `clients` (the
 * node's `clients` port). A Produce request of this thread's clients or handles that the port
 * transport lays out (`laysOut`, `transport/port/produce-layout.ts`) goes as it is: the
 * layout carries the producer's mark itself, and the transport reads its answer against it.
 * Any other Produce request (one a Kafka listener relays, or one the layout cannot hold)
 * goes with its context saying whether its batches carry the producer's mark, and its
 * answer checked where it arrives (`takeProduceAnswer`); any other request as it is.
 */
export function relayToNode(clients: PortTransport, nodeId: number, request: Request, context: RequestContext | undefined): Promise<Response> {
  if (laysOut(request, context)) return clients.sendAs(nodeId, request, context);
  const sent = clients.sendAs(nodeId, request, relayContext(request, context));
  if (request.apiKey !== ApiKey.Produce) return sent;
  return sent.then((answer: unknown) => takeProduceAnswer(request, answer, nodeId));
}
