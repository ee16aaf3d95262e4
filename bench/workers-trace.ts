/**
 * A per-thread event trace for the e2e case (`E2E_TRACE=1 tsx bench/workers-cases.ts e2e`):
 * every `postMessage` and every message received on a `MessagePort` (its type and how
 * many requests or answers it carried), every GC pause (`perf_hooks` `gc` entries), and
 * with `E2E_TRACE=gaps` every gap of the event loop over 2 ms (a 1 ms interval that came late: it
 * keeps every thread awake, so it changes what it measures), with wall-clock
 * times comparable across the threads of the process. The e2e case gathers the threads'
 * traces and prints the events around its slowest samples.
 */
import { MessagePort } from 'node:worker_threads';
import { PerformanceObserver } from 'node:perf_hooks';

export interface TraceEvent {
  /** Wall-clock ms (performance.timeOrigin + performance.now()). */
  readonly t: number;
  readonly what: string;
  /** Duration in ms (GC pauses, loop gaps). */
  readonly ms?: number;
}

export const now = (): number => performance.timeOrigin + performance.now();

const events: TraceEvent[] = [];

/** The API of each request id in flight on a port, so that an answer can be named. */
const apis = new WeakMap<object, Map<number, number>>();
const API_NAMES: Record<number, string> = { 0: 'produce', 1: 'fetch', 3: 'metadata' };

function describe(port: object, m: unknown): string {
  if (m === null || typeof m !== 'object') return typeof m;
  let ids = apis.get(port);
  if (ids === undefined) apis.set(port, (ids = new Map()));
  const o = m as { t?: unknown; list?: unknown[] };
  const items = (Array.isArray(o.list) ? o.list : [o]) as { id?: number; req?: { apiKey?: number }; t?: string }[];
  const names = items.map((r) => {
    if (r.id === undefined) return '';
    if (r.req?.apiKey !== undefined) {
      ids.set(r.id, r.req.apiKey);
      return `${API_NAMES[r.req.apiKey] ?? r.req.apiKey}#${r.id}`;
    }
    const api = ids.get(r.id);
    ids.delete(r.id);
    return `${api === undefined ? '?' : (API_NAMES[api] ?? api)}#${r.id}`;
  });
  return `${String(o.t)} ${names.join(',')}`;
}

export function startTrace(): void {
  const proto = MessagePort.prototype as unknown as { postMessage(m: unknown, t?: unknown): void; on(e: string, f: (...a: unknown[]) => void): unknown };
  const post = proto.postMessage;
  proto.postMessage = function (this: unknown, m: unknown, t?: unknown) {
    events.push({ t: now(), what: `post ${describe(this as object, m)}` });
    return post.call(this, m, t);
  };
  const on = proto.on;
  proto.on = function (this: unknown, e: string, f: (...a: unknown[]) => void) {
    if (e !== 'message') return on.call(this, e, f);
    return on.call(this, e, (...a: unknown[]) => {
      events.push({ t: now(), what: `recv ${describe(this as object, a[0])}` });
      return f(...a);
    });
  };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind;
      events.push({ t: performance.timeOrigin + e.startTime, what: `gc kind ${kind}`, ms: e.duration });
    }
  }).observe({ entryTypes: ['gc'] });
  if (process.env.E2E_TRACE !== 'gaps') return;
  let last = now();
  setInterval(() => {
    const t = now();
    if (t - last > 2) events.push({ t: last, what: 'loop gap', ms: t - last });
    last = t;
  }, 1).unref();
}

/** Marks an event of the caller's own (a record handed to the consumer, a send). */
export function mark(what: string, t = now()): void {
  events.push({ t, what });
}

export function traceEvents(): TraceEvent[] {
  return events;
}
