/**
 * The Produce request's hop from the calling thread to a node's worker
 * (`threads: 'per-node'`), over the node's `clients` port (`PortTransport`).
 *
 * A Produce request of this thread's clients or handles that the port transport lays out
 * (`laysOut`, `transport/port/produce-layout.ts`) crosses in the fixed layout: the layout
 * carries the producer's checksummed-here mark (`record/checksummed-here.ts`) as a flag
 * that only a port server trusting its port believes (the node's `clients` port, which
 * only the supervisor holds: the copies are made by the transport into memory no user code
 * sees), so the leader skips its second CRC pass (about 20 ns a 100-byte record,
 * bench/results/2026-12-07h-pernode.md); the transport reads the answer against the
 * request it answers. Any other Produce request (one a Kafka listener relays, whose bytes
 * came fresh off a socket and carry no mark, or a garbled one) crosses typed, and its
 * answer is checked here (`takeProduceAnswer`).
 *
 * Before session 12 the mark crossed in the typed request's context (`batchesChecked`, put
 * back by the node's worker); no typed Produce request carries a mark now, so that went.
 * @internal
 */
import type { RequestContext } from '../broker/request-context.js';
import { ApiKey } from '../protocol/api-keys.js';
import type { ProduceRequest, ProduceResponse } from '../protocol/produce.js';
import type { Request, Response } from '../protocol/requests.js';
import type { PortTransport } from '../transport/port/port-transport.js';
import type { TributaryError } from '../util/errors.js';
import { corruptAnswer, isErrorCode, isInt32, isInt64, isRecord } from '../node/typed-answers.js';

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
 * node's `clients` port). A Produce request the port transport lays out has its answer read
 * against it there; any other Produce request has its answer checked here
 * (`takeProduceAnswer`); any other request goes and comes back as it is.
 */
export function relayToNode(clients: PortTransport, nodeId: number, request: Request, context: RequestContext | undefined): Promise<Response> {
  // The transport decides the layout once (before s13 `laysOut` ran here a second time).
  const sent = clients.relay(nodeId, request, context);
  if (request.apiKey !== ApiKey.Produce || sent.laid) return sent.answer;
  return sent.answer.then((answer: unknown) => takeProduceAnswer(request, answer, nodeId));
}
