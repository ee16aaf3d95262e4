import { errorCodes, type ErrorCode } from '../../util/error-codes.js';
import { TributaryError } from '../../util/errors.js';
import { takeHandedOver } from '../../util/hand-over.js';

/**
 * The messages on a port between a client thread and the cluster's thread. One request
 * or answer per message; record batches ride inside as byte arrays whose buffers are
 * transferred, never one message per record.
 * @internal
 */
export type ToServer =
  | { readonly t: 'hello'; readonly clientId: string; readonly clientHost: string }
  /** `ctx`: who sent the request, relayed by a port the server trusts to say so (a cluster's own relay); ignored otherwise. */
  | { readonly t: 'req'; readonly id: number; readonly node: number; readonly req: unknown; readonly ctx?: unknown }
  /** Several requests ready in one turn, in one message (each as `req` without its `t`). */
  | { readonly t: 'reqs'; readonly list: readonly { readonly id: number; readonly node: number; readonly req: unknown; readonly ctx?: unknown }[] }
  | { readonly t: 'abort'; readonly id: number }
  | { readonly t: 'bye' };

/** @internal */
export type ToClient =
  | { readonly t: 'welcome' }
  | { readonly t: 'res'; readonly id: number; readonly res: unknown }
  | { readonly t: 'err'; readonly id: number; readonly code: string; readonly message: string }
  /** Several answers ready in one turn, in one message. */
  | { readonly t: 'answers'; readonly list: readonly Answer[] }
  | { readonly t: 'refused'; readonly code: string; readonly message: string }
  | { readonly t: 'closed' };

/** @internal */
export type Answer = { readonly t: 'res'; readonly id: number; readonly res: unknown } | { readonly t: 'err'; readonly id: number; readonly code: string; readonly message: string };

/**
 * Messages to post on a port, gathered for one turn and posted as one `postMessage` (a
 * structured clone and a wake-up of the other thread each) when there are several: a
 * producer's requests to a node's broker, or a node's answers, ready in the same turn.
 * `wrap` makes the one message of several. Where a message cannot be cloned, the batch is
 * posted one by one, so only that message fails (`onFail`).
 * @internal
 */
export class Outbox<M> {
  private list: { m: M; transfer: ArrayBuffer[] }[] = [];
  private scheduled = false;

  constructor(
    private readonly port: { postMessage(m: unknown, transfer?: ArrayBuffer[]): void },
    private readonly wrap: (list: M[]) => unknown,
    private readonly onFail: (m: M, err: unknown) => void,
  ) {}

  add(m: M, transfer: ArrayBuffer[]): void {
    this.list.push({ m, transfer });
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => this.flush());
  }

  /** Posts what is gathered now (before a message that must come after it). */
  flush(): void {
    this.scheduled = false;
    const list = this.list;
    if (list.length === 0) return;
    this.list = [];
    if (list.length > 1) {
      try {
        this.port.postMessage(this.wrap(list.map((e) => e.m)), list.flatMap((e) => e.transfer));
        return;
      } catch {
        // one of them cannot cross: post each, so only that one fails
      }
    }
    for (const e of list) {
      try {
        this.port.postMessage(e.m, e.transfer);
      } catch (err) {
        this.onFail(e.m, err);
      }
    }
  }

  clear(): void {
    this.list = [];
  }
}

export { handOver } from '../../util/hand-over.js';

/**
 * Copies every byte array in `value` into a buffer of its own and lists those buffers for
 * transfer; an array whose buffer was handed over (`util/hand-over.ts`) has that buffer
 * listed instead, uncopied. The caller's arrays are never detached (the ownership rule of `Transport`: a
 * producer resends the same batch on a retry), and a pooled `Buffer` never lands in a
 * transfer list. Objects and arrays are rebuilt only where they hold bytes.
 * @internal
 */
export function forTransfer(value: unknown, transfer: ArrayBuffer[]): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Uint8Array && takeHandedOver(value)) {
    // The view crosses as it is (offset and length kept) over its transferred buffer.
    const buffer = value.buffer as ArrayBuffer;
    if (!transfer.includes(buffer)) transfer.push(buffer);
    return value;
  }
  if (value instanceof Uint8Array) {
    const copy = new Uint8Array(value.byteLength);
    copy.set(value);
    transfer.push(copy.buffer);
    return copy;
  }
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      const w = forTransfer(v, transfer);
      if (w !== v) (out ??= value.slice())[i] = w;
    }
    return out ?? value;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  let out: Record<string, unknown> | undefined;
  for (const key of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[key];
    const w = forTransfer(v, transfer);
    if (w !== v) (out ??= { ...(value as Record<string, unknown>) })[key] = w;
  }
  return out ?? value;
}

/** An error as it crosses: its code and message (a `TributaryError` keeps its code; anything else becomes `UNKNOWN_SERVER_ERROR`). @internal */
export function errorFields(err: unknown): { code: string; message: string } {
  if (err instanceof TributaryError) return { code: err.code, message: err.message };
  return { code: 'UNKNOWN_SERVER_ERROR', message: err instanceof Error ? err.message : String(err) };
}

/** The `TributaryError` rebuilt on the receiving side, with the same code, retriable flag and message. @internal */
export function rebuildError(code: unknown, message: unknown): TributaryError {
  const c = typeof code === 'string' && Object.hasOwn(errorCodes, code) ? (code as ErrorCode) : 'UNKNOWN_SERVER_ERROR';
  return new TributaryError(c, typeof message === 'string' ? message : undefined);
}
