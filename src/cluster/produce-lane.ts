/**
 * The calling thread's side of the Produce lane to one node's worker (`threads:
 * 'per-node'`): a `MessagePort` of its own beside the node's `clients` port, on which the
 * relay's Produce requests cross in the fixed layout of `node/produce-layout.ts`, one
 * message per node per turn of this thread, and their answers come back the same way (the
 * node's side is `node/produce-lane-server.ts`).
 *
 * **One message per turn.** The requests made for this node in one turn (the producer's
 * four calls in flight often send theirs in one turn) wait in `waiting` and leave together
 * at the end of the turn (`setImmediate`, as the port transport's `Outbox` does, and for the
 * same reason: a turn makes its requests in several waves of microtasks). Each keeps its own
 * promise: the node answers each with its own response or error, and those ready in one turn
 * of the node's thread come back in one message.
 *
 * **Order.** Requests leave in the order they were made and the node hands them to its
 * broker in that order, so a partition's batches (an idempotent producer's sequences) reach
 * the log as they were sent. Only Produce requests of this thread's clients and handles
 * (an `'inline'` context or none) take the lane: a request a Kafka listener relays keeps the
 * `clients` port, where its connection's other requests go, in order.
 *
 * **Abort and timeout.** The relay's caller (`InlineTransport`) rejects an aborted request at
 * once and drops its answer when it comes, as it did over the `clients` port (which was
 * given no signal either); the broker's own `timeoutMs` rides in the request.
 *
 * **Bytes.** Each message is one buffer: the tables, then the batches copied once (the copy
 * the port transport made). It is transferred, and comes back with the answers once the
 * node has answered every request in it (the broker copies batches into its log before it
 * answers), for the next message (`SpareBuffers`).
 * @internal
 */
import type { MessagePort } from 'node:worker_threads';
import type { RequestContext } from '../broker/request-context.js';
import type { ProduceRequest, ProduceResponse } from '../protocol/produce.js';
import { checksummedHere } from '../record/checksummed-here.js';
import { PACK_BYTES_MAX, SpareBuffers } from '../transport/port/messages.js';
import { TributaryError } from '../util/errors.js';
import { readAnswers, writeRequests, LANE_PARTITIONS_MAX, LANE_REQUESTS_MAX, type LaidRequest } from '../node/produce-layout.js';

interface Pending {
  readonly request: ProduceRequest;
  readonly resolve: (r: ProduceResponse) => void;
  readonly reject: (e: TributaryError) => void;
}

/** Counts of what the lane posted and took in (tests and benches). @internal */
export interface LaneCounts {
  messages: number;
  requests: number;
  answerMessages: number;
  answers: number;
}

/** @internal */
export class ProduceLane {
  private readonly pending = new Map<number, Pending>();
  private waiting: LaidRequest[] = [];
  private waitingBytes = 0;
  private waitingPartitions = 0;
  private scheduled = false;
  private nextId = 1;
  private state: 'open' | 'closed' = 'open';
  private readonly spare = new SpareBuffers();
  readonly counts: LaneCounts = { messages: 0, requests: 0, answerMessages: 0, answers: 0 };
  private readonly flushFn = (): void => this.flush();

  constructor(
    private readonly port: MessagePort,
    private readonly nodeId: number,
  ) {
    port.on('message', (m: unknown) => this.onMessage(m));
    port.on('close', () => this.fail(new TributaryError('NETWORK_EXCEPTION', `the port to node ${nodeId}'s worker closed with the request in flight`)));
    port.unref();
  }

  /** Sends `request` (it passed `canLayOut`) with its context (`'inline'` or none). */
  send(request: ProduceRequest, context: RequestContext | undefined): Promise<ProduceResponse> {
    if (this.state === 'closed') return Promise.reject(new TributaryError('NETWORK_EXCEPTION', `node ${this.nodeId}'s worker is gone`));
    const id = this.nextId++;
    if (this.nextId > 0x7fff_ffff) this.nextId = 1;
    let checked = true;
    let bytes = 0;
    let batches = 0;
    let partitions = 0;
    for (const t of request.topicData) {
      partitions += t.partitionData.length;
      for (const p of t.partitionData) {
        if (p.records === null || p.records.length === 0) continue;
        batches++;
        bytes += p.records.byteLength;
        if (checked && !checksummedHere(p.records)) checked = false;
      }
    }
    // A message stays under PACK_BYTES_MAX where it can (one larger request goes alone), and
    // always within the reader's maxima (LANE_REQUESTS_MAX requests, LANE_PARTITIONS_MAX
    // partitions: canLayOut kept each request within the latter), or the node refused it whole.
    if (this.waiting.length > 0 && (this.waitingBytes + bytes > PACK_BYTES_MAX || this.waiting.length >= LANE_REQUESTS_MAX || this.waitingPartitions + partitions > LANE_PARTITIONS_MAX)) this.flush();
    return new Promise<ProduceResponse>((resolve, reject) => {
      this.pending.set(id, { request, resolve, reject });
      if (this.pending.size === 1) this.port.ref();
      this.waiting.push({ id, request, context, checked: checked && batches > 0 });
      this.waitingBytes += bytes;
      this.waitingPartitions += partitions;
      if (this.scheduled) return;
      this.scheduled = true;
      setImmediate(this.flushFn);
    });
  }

  /** Fails what is in flight with retriable `NETWORK_EXCEPTION` and closes the port. */
  close(): void {
    if (this.state === 'closed') return;
    this.fail(new TributaryError('NETWORK_EXCEPTION', `node ${this.nodeId}'s worker exited with the request in flight`));
    this.port.close();
  }

  private flush(): void {
    this.scheduled = false;
    const items = this.waiting;
    if (items.length === 0 || this.state === 'closed') return;
    this.waiting = [];
    this.waitingBytes = 0;
    this.waitingPartitions = 0;
    let buffer: ArrayBuffer;
    try {
      buffer = writeRequests(items, (n) => this.spare.take(n)).buffer;
    } catch (err) {
      // Not expected (each request passed canLayOut): fail these alone, typed.
      for (const it of items) this.settle(it.id, undefined, new TributaryError('INVALID_REQUEST', `the Produce request cannot be laid out: ${(err as Error).message}`));
      return;
    }
    this.counts.messages++;
    this.counts.requests += items.length;
    try {
      this.port.postMessage(buffer, [buffer]);
    } catch {
      this.fail(new TributaryError('NETWORK_EXCEPTION', `the port to node ${this.nodeId}'s worker is closed`));
    }
  }

  private onMessage(m: unknown): void {
    // An answer message is its buffer, or [buffer, ...buffers given back].
    let answer: unknown = m;
    if (Array.isArray(m)) {
      answer = m[0];
      for (let i = 1; i < m.length; i++) this.spare.put(m[i]);
    }
    let list: ReturnType<typeof readAnswers>;
    try {
      list = readAnswers(answer, this.nodeId, (id) => this.pending.get(id)?.request);
    } catch (err) {
      // Unreadable as a whole: which requests it answered is unknown, so none can be trusted to
      // come; everything in flight on this lane fails (retriable), as when a link breaks.
      const e = err instanceof TributaryError ? err : new TributaryError('CORRUPT_MESSAGE', `node ${this.nodeId} answered a Produce request with something unreadable`);
      for (const id of [...this.pending.keys()]) this.settle(id, undefined, e);
      return;
    }
    this.counts.answerMessages++;
    for (const a of list) {
      this.counts.answers++;
      this.settle(a.id, a.response, a.error);
    }
  }

  private settle(id: number, response: ProduceResponse | undefined, error: TributaryError | undefined): void {
    const p = this.pending.get(id);
    if (p === undefined) return;
    this.pending.delete(id);
    if (this.pending.size === 0) this.port.unref();
    if (error !== undefined) p.reject(error);
    else if (response !== undefined) p.resolve(response);
    else p.reject(new TributaryError('CORRUPT_MESSAGE', `node ${this.nodeId} answered a Produce request with nothing`));
  }

  private fail(err: TributaryError): void {
    this.state = 'closed';
    this.waiting = [];
    this.waitingBytes = 0;
    this.waitingPartitions = 0;
    for (const id of [...this.pending.keys()]) this.settle(id, undefined, err);
  }
}
