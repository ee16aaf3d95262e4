/**
 * A node worker's side of the Produce lane (`cluster/produce-lane.ts`): reads each message
 * of the calling thread's Produce requests (`produce-layout.ts`), hands the requests to the
 * broker in order, in one go (their appends then wake the followers' parked fetches once, as
 * the port server's trusted step does), and answers those ready in one turn in one message,
 * with the message buffers whose requests are all answered given back.
 *
 * The port is one the supervisor made and holds the other end of, so the requests' marks
 * (checksummed by the calling thread) are believed, as on the node's `clients` port
 * (`cluster/relayed-produce.ts`). Its bytes are checked all the same: a message that does
 * not hold is refused typed (`INVALID_REQUEST`) for every id it names that can be read, and
 * dropped with a warning when none can; nothing posted on the port throws in this thread.
 * @internal
 */
import type { MessagePort } from 'node:worker_threads';
import type { RequestContext } from '../broker/request-context.js';
import type { ProduceRequest, ProduceResponse } from '../protocol/produce.js';
import { isTributaryError, TributaryError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import { LANE_PARTITIONS_MAX, LANE_RECORD_ERRORS_MAX, LANE_REQUESTS_MAX, readRequestIds, readRequests, writeAnswers, type LaidAnswer } from './produce-layout.js';
import { markBatches } from './typed-answers.js';

/** What the lane hands a request to: the node's broker, or a typed refusal when it does not serve. */
export type LaneHandler = (request: ProduceRequest, context: RequestContext | undefined) => Promise<ProduceResponse>;

/** A message's buffer, lent to its requests until each is answered. */
interface Lent {
  readonly buffer: ArrayBuffer;
  left: number;
  /** A request failed: its handler may have kept a view, so the buffer is not given back. */
  failed: boolean;
}

/** @internal */
export class ProduceLaneServer {
  private ready: LaidAnswer[] = [];
  private back: ArrayBuffer[] = [];
  private scheduled = false;
  private open = true;
  private readonly inFlight = new Set<number>();
  private readonly flushFn = (): void => this.flush();

  constructor(
    private readonly port: MessagePort,
    private readonly handle: LaneHandler,
    private readonly log: Logger,
  ) {
    port.on('message', (m: unknown) => {
      try {
        this.onMessage(m);
      } catch (err) {
        this.log.warn({ err }, 'dropped a Produce message from the calling thread');
      }
    });
    port.on('close', () => {
      this.open = false;
      this.ready = [];
      this.back = [];
    });
    port.unref();
  }

  private onMessage(m: unknown): void {
    if (!this.open) return;
    let list: ReturnType<typeof readRequests>;
    try {
      list = readRequests(m);
    } catch (err) {
      const ids = readRequestIds(m).filter((id) => !this.inFlight.has(id));
      if (ids.length === 0) {
        this.log.warn({ err }, 'dropped a Produce message from the calling thread that names no request');
        return;
      }
      const e = isTributaryError(err) ? err : new TributaryError('INVALID_REQUEST', 'an unreadable Produce message');
      for (const id of ids) this.answer({ id, error: e });
      return;
    }
    const lent: Lent = { buffer: m as ArrayBuffer, left: list.length, failed: false };
    for (const item of list) {
      const id = item.id;
      if (this.inFlight.has(id)) {
        // The id of a request still being handled: its answer would be taken for the other's.
        lent.failed = true;
        lent.left--;
        this.log.warn({ id }, 'dropped a Produce request whose id is in flight');
        continue;
      }
      if ('error' in item) {
        lent.left--;
        this.answer({ id, error: item.error });
        continue;
      }
      this.inFlight.add(id);
      if (item.checked) for (const t of item.request.topicData) markBatches(t.partitionData.flatMap((p) => (p.records !== null ? [p.records] : [])));
      let answer: Promise<ProduceResponse>;
      try {
        answer = this.handle(item.request, item.context);
      } catch (err) {
        answer = Promise.reject(err);
      }
      answer.then(
        (response) => {
          this.inFlight.delete(id);
          this.release(lent, false);
          this.answer({ id, response });
        },
        (err: unknown) => {
          this.inFlight.delete(id);
          this.release(lent, true);
          this.answer({ id, error: isTributaryError(err) ? err : new TributaryError('UNKNOWN_SERVER_ERROR', err instanceof Error ? err.message : String(err)) });
        },
      );
    }
    if (lent.left === 0) this.giveBack(lent); // every request refused as it arrived
  }

  /** One more request of `lent`'s message is answered (`failed`: with an error); the last one gives the buffer back, unless one failed. */
  private release(lent: Lent, failed: boolean): void {
    if (failed) lent.failed = true;
    if (--lent.left === 0) this.giveBack(lent);
  }

  private giveBack(lent: Lent): void {
    if (!lent.failed && lent.buffer.byteLength > 0) this.back.push(lent.buffer);
  }

  private answer(a: LaidAnswer): void {
    if (!this.open) return;
    this.ready.push(a);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.flushFn);
  }

  private flush(): void {
    this.scheduled = false;
    const ready = this.ready;
    if (ready.length === 0 || !this.open) return;
    this.ready = [];
    let back = this.back;
    this.back = [];
    // The answers of one turn can pass what one message may hold (the answers of two request
    // messages, or their partitions): as many messages as the reader's maxima ask, the
    // buffers given back with the first.
    for (const chunk of answerChunks(ready)) {
      const buffer = writeAnswers(chunk);
      try {
        if (back.length === 0) this.port.postMessage(buffer, [buffer]);
        else this.port.postMessage([buffer, ...back], [buffer, ...back]);
      } catch (err) {
        this.log.warn({ err }, 'could not answer the calling thread’s Produce requests');
      }
      back = [];
    }
  }
}

/**
 * `answers` cut into runs that each stay within an answer message's maxima
 * (`LANE_REQUESTS_MAX` answers, `LANE_PARTITIONS_MAX` partition results,
 * `LANE_RECORD_ERRORS_MAX` record errors). One answer answers one request, which held at
 * most `LANE_PARTITIONS_MAX` partitions; one whose record errors alone pass the maximum
 * keeps the first `LANE_RECORD_ERRORS_MAX` of them (the partition's error code and message
 * stand), rather than make a message the reader refuses whole.
 * @internal
 */
export function answerChunks(answers: readonly LaidAnswer[]): LaidAnswer[][] {
  const out: LaidAnswer[][] = [];
  let chunk: LaidAnswer[] = [];
  let results = 0;
  let errors = 0;
  for (let a of answers) {
    let r = 0;
    let e = 0;
    if ('response' in a) {
      for (const t of a.response.responses) {
        r += t.partitionResponses.length;
        for (const p of t.partitionResponses) e += p.recordErrors?.length ?? 0;
      }
      if (e > LANE_RECORD_ERRORS_MAX) {
        let left = LANE_RECORD_ERRORS_MAX;
        const responses = a.response.responses.map((t) => ({
          ...t,
          partitionResponses: t.partitionResponses.map((p) => {
            if (p.recordErrors === undefined) return p;
            const kept = p.recordErrors.slice(0, left);
            left -= kept.length;
            return { ...p, recordErrors: kept };
          }),
        }));
        a = { id: a.id, response: { ...a.response, responses } };
        e = LANE_RECORD_ERRORS_MAX;
      }
    }
    if (chunk.length > 0 && (chunk.length >= LANE_REQUESTS_MAX || results + r > LANE_PARTITIONS_MAX || errors + e > LANE_RECORD_ERRORS_MAX)) {
      out.push(chunk);
      chunk = [];
      results = 0;
      errors = 0;
    }
    chunk.push(a);
    results += r;
    errors += e;
  }
  if (chunk.length > 0) out.push(chunk);
  return out;
}
