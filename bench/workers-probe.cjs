/**
 * A probe preloaded into every thread of a bench process (`node --require`, which worker
 * threads inherit): counts what each JS thread posts on its ports (messages, the requests
 * and answers they carry by kind, transferred buffers) and its GC pauses, and on request
 * profiles the thread's CPU with the inspector over a window of the caller's choosing.
 * Commands and answers travel on a `BroadcastChannel` named `tributary-probe` (its own
 * posts are not counted): `reset`, `snap` (each thread answers with its OS thread id and
 * counts), `prof-start`, `prof-stop` (each thread writes `<dir>/<tid>.cpuprofile`).
 * Used by `bench/workers-pernode.ts`; nothing in `src/` knows of it.
 */
'use strict';
const { BroadcastChannel, MessagePort, isMainThread, threadId } = require('node:worker_threads');
const { readFileSync, writeFileSync } = require('node:fs');
const { PerformanceObserver } = require('node:perf_hooks');

const tid = readFileSync('/proc/thread-self/stat', 'utf8').split(' ')[0];
let counts = fresh();
function fresh() {
  return { messages: 0, items: 0, transferred: 0, bytes: 0, kinds: {}, gcCount: 0, gcMs: 0, gcKinds: {}, clones: {} };
}

/** A short name for one item of a message: `req:<api>` for a request (`f` framed), `res`/`err` for an answer, else its type. */
function kindOf(item) {
  if (item === null || typeof item !== 'object') return typeof item;
  if (item.req !== undefined && typeof item.req === 'object' && item.req !== null) return `req:${item.req.apiKey}${item.req.frame !== undefined ? 'f' : ''}`;
  if (item.t === 'res') {
    const r = item.res;
    if (r === null || typeof r !== 'object') return 'res';
    if (r.frame !== undefined) return `res:${r.apiKey}f`;
    // A peer fetch answer (typed), with or without record batches; a Produce answer.
    // A peer fetch answer in its layout (src/node/peer-fetch-layout.ts): the records bytes are the INT32 at byte 4.
    // `c`: flagged leader-checked (the INT16 at byte 10, bit 1), so the follower skips its CRC pass.
    if (r.apiKey === 1 && ArrayBuffer.isView(r.peerFetchAnswer) && r.peerFetchAnswer.byteLength >= 12) {
      const v = new DataView(r.peerFetchAnswer.buffer, r.peerFetchAnswer.byteOffset);
      return `res:1${v.getInt32(4, true) > 0 ? '+' : '-'}${v.getInt16(10, true) & 1 ? 'c' : ''}`;
    }
    if (r.apiKey === 1 && r.body !== undefined) return (r.body.responses ?? []).some((t) => (t.partitions ?? []).some((p) => p.records && p.records.length > 0)) ? 'res:1+' : 'res:1-';
    if (Array.isArray(r.responses) && r.responses.some((t) => Array.isArray(t.partitionResponses))) return 'res:0';
    return 'res';
  }
  return String(item.t ?? '?');
}

/**
 * `PROBE_CLONE=<n>`: every n-th message posted, the time of a structured clone of it
 * (`v8.serialize` then `v8.deserialize`, the transferred buffers counted apart) and its
 * bytes without them, by the message's first item's kind: what the object graph costs.
 */
const CLONE_EVERY = Number(process.env.PROBE_CLONE ?? 0);
const SIZES = process.env.PROBE_SIZES === '1';
const v8 = require('node:v8');
function sampleClone(m, transfer, list) {
  const k = list.length > 0 ? kindOf(list[0]) : '?';
  const skip = new Set(Array.isArray(transfer) ? transfer : []);
  let transferred = 0;
  for (const b of skip) transferred += b && typeof b.byteLength === 'number' ? b.byteLength : 0;
  const t0 = process.hrtime.bigint();
  const bytes = v8.serialize(m);
  const t1 = process.hrtime.bigint();
  v8.deserialize(bytes);
  const t2 = process.hrtime.bigint();
  // v8.serialize copies every view's bytes (a transfer would not): count the bytes of the views apart.
  let views = 0;
  const walk = (x, d) => {
    if (d > 12 || x === null || typeof x !== 'object') return;
    if (ArrayBuffer.isView(x)) { views += x.byteLength; return; }
    for (const v of Array.isArray(x) ? x : Object.values(x)) walk(v, d + 1);
  };
  walk(m, 0);
  const c = (counts.clones[k] ??= { n: 0, items: 0, serNs: 0, deNs: 0, bytes: 0, viewBytes: 0, transferred: 0 });
  c.n++;
  c.items += list.length;
  c.serNs += Number(t1 - t0);
  c.deNs += Number(t2 - t1);
  c.bytes += bytes.length;
  c.viewBytes += views;
  c.transferred += transferred;
}

function count(m, transfer) {
  counts.messages++;
  if (CLONE_EVERY > 0 && counts.messages % CLONE_EVERY === 0) {
    try {
      sampleClone(m, transfer, m !== null && typeof m === 'object' && Array.isArray(m.list) ? m.list : [m]);
    } catch {
      // a port or another host object: not the hot path's messages
    }
  }
  // The Produce lane's fixed layout (src/node/produce-layout.ts): one buffer (answers: [buffer, ...given back]), its count at 4.
  const lane = m instanceof ArrayBuffer ? m : Array.isArray(m) && m[0] instanceof ArrayBuffer ? m[0] : undefined;
  if (lane !== undefined && lane.byteLength >= 24) {
    const v = new DataView(lane);
    const k = v.getInt32(0) === 0x54505251 ? 'lane-req:0' : v.getInt32(0) === 0x54505241 ? 'lane-res:0' : 'lane?';
    const n = v.getInt32(4);
    counts.items += n;
    counts.kinds[k] = (counts.kinds[k] ?? 0) + n;
    counts.kinds[k + '-msgs'] = (counts.kinds[k + '-msgs'] ?? 0) + 1;
    // How many a message carries: a histogram (`PROBE_SIZES=1`), the round's size as it leaves.
    if (SIZES) counts.kinds[`${k} x${n}`] = (counts.kinds[`${k} x${n}`] ?? 0) + 1;
    if (Array.isArray(transfer)) {
      counts.transferred += transfer.length;
      for (const b of transfer) counts.bytes += b && typeof b.byteLength === 'number' ? b.byteLength : 0;
    }
    return;
  }
  const list = m !== null && typeof m === 'object' && Array.isArray(m.list) ? m.list : [m];
  counts.items += list.length;
  for (const item of list) {
    const k = kindOf(item);
    counts.kinds[k] = (counts.kinds[k] ?? 0) + 1;
    // A peer fetch answer's records bytes (the INT32 at byte 4 of its layout): their sum, and with `PROBE_SIZES=1` a histogram in 16 KiB steps.
    const a = k.startsWith('res:1') && item.res && ArrayBuffer.isView(item.res.peerFetchAnswer) ? item.res.peerFetchAnswer : undefined;
    if (a !== undefined && a.byteLength >= 8) {
      const bytes = new DataView(a.buffer, a.byteOffset).getInt32(4, true);
      counts.kinds['res:1 bytes'] = (counts.kinds['res:1 bytes'] ?? 0) + bytes;
      if (SIZES) counts.kinds[`res:1 ${Math.ceil(bytes / 16384) * 16}K`] = (counts.kinds[`res:1 ${Math.ceil(bytes / 16384) * 16}K`] ?? 0) + 1;
    }
  }
  if (Array.isArray(transfer)) {
    counts.transferred += transfer.length;
    for (const b of transfer) counts.bytes += b && typeof b.byteLength === 'number' ? b.byteLength : 0;
  }
}

const proto = MessagePort.prototype;
const post = proto.postMessage;
/** With `PROBE_SIZES=1`, messages are also counted by the port they leave on (`@<n>`, numbered in this thread in order of first use). */
const portIds = new WeakMap();
proto.postMessage = function (m, transfer) {
  if (SIZES) {
    let id = portIds.get(this);
    if (id === undefined) portIds.set(this, (id = `@${portIds.n = (portIds.n ?? 0) + 1}`));
    counts.kinds[id] = (counts.kinds[id] ?? 0) + 1;
  }
  count(m, transfer);
  return post.call(this, m, transfer);
};

new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    counts.gcCount++;
    counts.gcMs += e.duration;
    // By kind (perf_hooks constants: 1 minor, 2 major, 4 incremental, 8 weak callbacks): count and ms.
    const k = String((e.detail && e.detail.kind) ?? e.kind);
    const g = (counts.gcKinds[k] ??= { n: 0, ms: 0 });
    g.n++;
    g.ms += e.duration;
  }
}).observe({ entryTypes: ['gc'] });

let session;
const channel = new BroadcastChannel('tributary-probe');
channel.unref();
channel.onmessage = ({ data }) => {
  if (data === null || typeof data !== 'object' || data.from !== 'bench') return;
  if (data.cmd === 'reset') counts = fresh();
  else if (data.cmd === 'snap') channel.postMessage({ from: 'probe', tid, main: isMainThread, threadId, counts });
  else if (data.cmd === 'prof-start') {
    const inspector = require('node:inspector');
    session = new inspector.Session();
    session.connect();
    session.post('Profiler.enable', () => session.post('Profiler.setSamplingInterval', { interval: 200 }, () => session.post('Profiler.start')));
  } else if (data.cmd === 'prof-stop' && session !== undefined) {
    session.post('Profiler.stop', (err, res) => {
      if (!err) writeFileSync(`${data.dir}/${isMainThread ? 'main' : `w${threadId}`}-${tid}.cpuprofile`, JSON.stringify(res.profile));
      session.disconnect();
      session = undefined;
      channel.postMessage({ from: 'probe', tid, profiled: true });
    });
  }
};
