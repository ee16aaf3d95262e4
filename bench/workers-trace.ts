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
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';

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
  // Timer callbacks that ran over 0.05 ms (periodic work in a thread of the path: ticks,
  // status reports, refreshes), named by the start of their source.
  const g = globalThis as unknown as Record<'setTimeout' | 'setInterval', (f: (...a: unknown[]) => void, ms?: number, ...rest: unknown[]) => unknown>;
  for (const kind of ['setTimeout', 'setInterval'] as const) {
    const orig = g[kind];
    g[kind] = function (f: (...a: unknown[]) => void, ms?: number, ...rest: unknown[]) {
      if (typeof f !== 'function') return orig.call(globalThis, f, ms, ...rest);
      return orig.call(globalThis, function (this: unknown, ...a: unknown[]) {
        const t = now();
        try {
          return f.apply(this, a);
        } finally {
          const ms2 = now() - t;
          if (ms2 > 0.05) events.push({ t, what: `timer ${kind} ${ms ?? 0}ms ${(f.name || String(f).replace(/\s+/g, ' ')).slice(0, 70)}`, ms: ms2 });
        }
      }, ms, ...rest);
    } as never;
  }
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

/**
 * `E2E_PROFILE=alloc|cpu`: a sampling profile of this thread (V8's inspector, every thread
 * its own) from `fromMs` to `toMs` after the call, written to `<dir>/<alloc|cpu>-<tag>.txt`
 * as the functions with the most bytes allocated (collected objects included: the young
 * generation's load) or CPU samples of their own.
 */
export function profileWindow(kind: 'alloc' | 'cpu', tag: string, fromMs: number, toMs: number, dir = '/tmp'): void {
  const s = new Session();
  s.connect();
  const frame = (n: { callFrame: { functionName: string; url: string; lineNumber: number } }): string => `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').slice(-2).join('/')}`;
  const write = (rows: Map<string, number>, total: number, unit: (v: number) => string): void => {
    const top = [...rows].sort((a, b) => b[1] - a[1]).slice(0, 40).map(([f, v]) => `${unit(v)} ${f}`);
    writeFileSync(`${dir}/${kind}-${tag}.txt`, `total ${unit(total)}\n${top.join('\n')}\n`);
  };
  setTimeout(() => {
    if (kind === 'alloc') {
      s.post('HeapProfiler.enable');
      s.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMinorGC: true, includeObjectsCollectedByMajorGC: true } as never);
    } else {
      s.post('Profiler.enable');
      s.post('Profiler.setSamplingInterval', { interval: 100 });
      s.post('Profiler.start');
    }
  }, fromMs).unref();
  setTimeout(() => {
    if (kind === 'alloc') {
      s.post('HeapProfiler.stopSampling', (err, r) => {
        if (err) return;
        const rows = new Map<string, number>();
        let total = 0;
        type Node = { callFrame: { functionName: string; url: string; lineNumber: number }; selfSize: number; children: Node[] };
        const walk = (n: Node): void => {
          if (n.selfSize > 0) rows.set(frame(n), (rows.get(frame(n)) ?? 0) + n.selfSize);
          total += n.selfSize;
          for (const c of n.children) walk(c);
        };
        walk((r as unknown as { profile: { head: Node } }).profile.head);
        write(rows, total, (v) => `${(v / 1e6).toFixed(2)} MB`);
      });
    } else {
      s.post('Profiler.stop', (err, r) => {
        if (err) return;
        const p = (r as unknown as { profile: { nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[]; samples: number[] } }).profile;
        const byId = new Map(p.nodes.map((n) => [n.id, n]));
        const rows = new Map<string, number>();
        for (const id of p.samples) {
          const f = frame(byId.get(id)!);
          rows.set(f, (rows.get(f) ?? 0) + 1);
        }
        write(rows, p.samples.length, (v) => `${((100 * v) / p.samples.length).toFixed(1)}%`);
      });
    }
  }, toMs).unref();
}
