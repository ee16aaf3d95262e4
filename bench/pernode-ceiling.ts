/**
 * The ceiling beside the workers section's RF 3 row (issue 11: `threads: 'per-node'` at
 * least 1.3x `'inline'`, 3 nodes, RF 3, acks=all, on 2 cores): the skeleton of per-node's
 * message pattern with no broker and no producer work, on the same threads, measured in
 * the same run.
 *
 * `npx tsx bench/pernode-ceiling.ts skeleton[:per-batch] [bytesPerRecord] [bytesPerRequest]`:
 * the calling thread and three workers (the nodes), the ports the supervisor makes (one per
 * node for the calling thread's requests, one each way between every two nodes), and per
 * call of 1,000 records (100-byte values, keys `k0`..`k63` over 3 partitions by Kafka's
 * murmur2, as the bench's producer sends them; 4 calls in flight):
 *
 * - the calling thread posts one message to each partition's leader (node i leads
 *   partition i) carrying its Produce requests, each one batch of `bytesPerRequest` bytes
 *   copied into a buffer of the transport's own (64 KiB, given back with the answer and
 *   filled again: `SpareBuffers` in src/transport/port/messages.ts), transferred; a
 *   leader's bytes of a call accumulate until a batch is full (the producer's 16 KiB
 *   batches fill across the calls in flight), and a call is done when the batches holding
 *   its records are answered;
 * - a leader, for each request, keeps the bytes in its tail and answers each follower's
 *   parked fetch with the bytes past its fetch offset, copied into a fresh buffer and
 *   transferred (as `node/peer-fetch.ts` does);
 * - a follower, on each answer, sends its next fetch at once (its new log end offset);
 * - a leader, on a fetch, answers in one message every Produce request both followers
 *   have now fetched past (acks=all: the high watermark passed the batch), with their
 *   buffers, then answers the fetch at once if it has bytes past its offset, or parks it.
 *
 * `:per-batch`: a fetch answer carries one batch only, so there is a fetch round for every
 * Produce request. The plain form makes fewer fetch rounds than a real run, this one more:
 * the two bracket it.
 *
 * Its records a second is the most per-node can do with this message pattern on this
 * machine: everything else per-node does (the producer, the brokers' checks and appends,
 * the codec) only adds to it. Each thread counts what it posts (messages, requests or
 * answers carried, transferred buffers), printed a 1,000 records beside the same counts of
 * a real per-node run.
 *
 * `node --require ./bench/workers-probe.cjs --import tsx bench/pernode-ceiling.ts count`:
 * the RF 3 row's real per-node case (bench/workers-cases.ts `rf3:per-node`), 1,000 calls of
 * warm-up (`COUNT_WARMUP_CALLS`; the row's 3,000 are for the JIT, the message pattern is
 * settled well before), then 1,000 measured (`COUNT_CALLS`), its threads' posts counted by the probe, and the
 * producer's bytes a record and a request (`producer.metrics()`), which the skeleton then
 * uses, so its sizes are the row's.
 */
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { BroadcastChannel, MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { partitionForKey } from '../src/client/partitioner.js';
import { fmt, report, runCase, table, type CaseResult } from './lib.js';

const PER_CALL = 1000;
const IN_FLIGHT = 4;
const NODES = 3;

/** A node of the skeleton: plain JavaScript in its worker (nothing loaded but `node:worker_threads`). */
const nodeSource = `
const { parentPort, workerData } = require('node:worker_threads');
// 'per-batch': a fetch answer carries one batch (the follower asks again for the next).
const perBatch = workerData.mode === 'per-batch';
const posted = { messages: 0, items: 0, buffers: 0, bytes: 0, fetches: 0, fetchAnswers: 0, produceAnswers: 0 };
function post(port, m, items, transfer, kind) {
  posted.messages++;
  posted.items += items;
  if (kind !== undefined) posted[kind] += items;
  posted.buffers += transfer.length;
  for (const b of transfer) posted.bytes += b.byteLength;
  port.postMessage(m, transfer);
}
let client;                       // the calling thread's requests come here, answers go back
const followers = new Map();      // follower id -> { port, offset, parked }
let leo = 0;                      // bytes appended as a leader
let tail = [];                    // { start, end, bytes } not yet fetched by every follower
let waiting = [];                 // Produce requests not yet answered: { id, end }
function answerFetch(f) {
  const from = f.offset;
  let n = 0;
  let last = 0;
  for (const t of tail) {
    if (t.end <= from) continue;
    n += t.end - Math.max(from, t.start);
    last = t.end;
    if (perBatch) break;
  }
  const out = new Uint8Array(Buffer.allocUnsafeSlow(n).buffer, 0, n); // fresh memory, copied by this thread, transferred
  let at = 0;
  for (const t of tail) {
    if (t.end <= from) continue;
    if (t.start >= last) break;
    const skip = Math.max(0, from - t.start);
    out.set(t.bytes.subarray(skip), at);
    at += t.bytes.length - skip;
  }
  f.parked = false;
  post(f.port, { t: 'res', from, bytes: out }, 1, [out.buffer], 'fetchAnswers');
}
function append(r) {
  const bytes = new Uint8Array(r.buffer, 0, r.length);
  tail.push({ start: leo, end: leo + bytes.length, bytes });
  leo += bytes.length;
  waiting.push({ id: r.id, end: leo, buffer: r.buffer });
  for (const f of followers.values()) if (f.parked) answerFetch(f);
}
function onProduce(list) {
  for (const r of list) append(r);
}
function onFetch(f, offset) {
  f.offset = offset;
  let hw = Infinity;
  for (const g of followers.values()) hw = Math.min(hw, g.offset);
  let k = 0;
  while (k < waiting.length && waiting[k].end <= hw) k++;
  tail = tail.filter((t) => t.end > hw);
  if (k > 0) {
    // The answers go back with the requests' buffers (the calling thread fills them again):
    // every follower has fetched past them, so the tail no longer holds them.
    const done = waiting.slice(0, k);
    waiting = waiting.slice(k);
    post(client, { t: 'res', ids: done.map((w) => w.id), back: done.map((w) => w.buffer) }, done.length, done.map((w) => w.buffer), 'produceAnswers');
  }
  if (offset < leo) answerFetch(f);
  else f.parked = true;
}
parentPort.on('message', (m) => {
  if (m.t === 'client') {
    client = m.port;
    client.on('message', (x) => (x.t === 'counts' ? post(client, { t: 'counts', posted: { ...posted } }, 0, []) : onProduce(x.list)));
  } else if (m.t === 'serve') {
    // A follower's fetches to this node (the leader) come on this port.
    const f = { port: m.port, offset: 0, parked: false };
    followers.set(m.follower, f);
    m.port.on('message', (x) => onFetch(f, x.offset));
  } else if (m.t === 'fetch-from') {
    // This node follows the leader at the other end: fetch, and on each answer fetch again past it.
    let offset = 0;
    m.port.on('message', (x) => {
      offset = x.from + x.bytes.length;
      post(m.port, { t: 'fetch', offset }, 1, [], 'fetches');
    });
    post(m.port, { t: 'fetch', offset }, 1, [], 'fetches');
  }
});`;

/**
 * How a leader answers a follower's fetch: with every byte it has past the fetch offset
 * (`coalesced`: the pattern above, the fewest messages), or with one batch only
 * (`per-batch`: a fetch round for every Produce request, more rounds than a real per-node
 * run makes). The two bracket the real run's count of fetch rounds.
 */
type SkeletonMode = 'coalesced' | 'per-batch';

interface Posted { messages: number; items: number; buffers: number; bytes: number; fetches: number; fetchAnswers: number; produceAnswers: number }

/** The skeleton: `warmupCalls` calls, then `calls` measured; records a second, CPU and each thread's posts. */
async function skeleton(mode: SkeletonMode, bytesPerRecord: number, bytesPerRequest: number, calls: number, warmupCalls: number): Promise<Record<string, number | string>> {
  const enc = new TextEncoder();
  const perPartition = new Array<number>(NODES).fill(0);
  for (let i = 0; i < PER_CALL; i++) perPartition[partitionForKey(enc.encode(`k${i % 64}`), NODES)]!++;
  const workers = Array.from({ length: NODES }, () => new Worker(nodeSource, { eval: true, workerData: { mode } }));
  const clients: MessagePort[] = [];
  for (const w of workers) {
    const c = new MessageChannel();
    w.postMessage({ t: 'client', port: c.port2 }, [c.port2]);
    clients.push(c.port1);
  }
  // Node f follows every other node l: one channel from f to l (f's fetches, l's answers).
  for (let f = 0; f < NODES; f++) {
    for (let l = 0; l < NODES; l++) {
      if (f === l) continue;
      const c = new MessageChannel();
      workers[l]!.postMessage({ t: 'serve', follower: f, port: c.port2 }, [c.port2]);
      workers[f]!.postMessage({ t: 'fetch-from', port: c.port1 }, [c.port1]);
    }
  }
  const posted: Posted = { messages: 0, items: 0, buffers: 0, bytes: 0, fetches: 0, fetchAnswers: 0, produceAnswers: 0 };
  let nextId = 1;
  /** Per request id: the calls whose records it carries (each call counts its requests outstanding). */
  const pending = new Map<number, { left: number; resolve: () => void }[]>();
  const carry = new Array<number>(NODES).fill(0);
  /** Requests of the open batches per leader: the calls waiting on the next full batch. */
  const openCalls: { left: number; resolve: () => void }[][] = Array.from({ length: NODES }, () => []);
  /** Buffers the leaders gave back with their answers, to carry the next requests (`SpareBuffers` in src/transport/port/messages.ts). */
  const spare: ArrayBuffer[] = [];
  const source = new Uint8Array(bytesPerRequest).fill(7);
  for (const c of clients) {
    c.on('message', (m: { t: string; ids: number[]; back: ArrayBuffer[] }) => {
      if (m.t !== 'res') return;
      for (const b of m.back) if (spare.length < 16) spare.push(b);
      for (const id of m.ids) {
        for (const call of pending.get(id) ?? []) if (--call.left === 0) call.resolve();
        pending.delete(id);
      }
    });
  }
  /**
   * One call: each leader's share of its records joins that leader's open batch; each batch
   * that fills goes as a request, and the call waits for every batch holding its records
   * (a leader answers in order). The last call of a run sends the open batches as they are.
   */
  const oneCall = (last: boolean): Promise<void> =>
    new Promise<void>((resolve) => {
      const call = { left: 0, resolve };
      for (let p = 0; p < NODES; p++) {
        carry[p]! += perPartition[p]! * bytesPerRecord;
        openCalls[p]!.push(call);
        call.left++;
        const list: { id: number; buffer: ArrayBuffer; length: number }[] = [];
        const send = (size: number): void => {
          const id = nextId++;
          // The batch's bytes copied into a buffer of the transport's own (a spare one, or a new one of 64 KiB).
          const buffer = spare.pop() ?? (Buffer.allocUnsafeSlow(Math.max(64 * 1024, size)).buffer as ArrayBuffer);
          new Uint8Array(buffer, 0, size).set(source.subarray(0, size));
          list.push({ id, buffer, length: size });
          pending.set(id, openCalls[p]!.splice(0));
        };
        while (carry[p]! >= bytesPerRequest) {
          carry[p]! -= bytesPerRequest;
          send(bytesPerRequest);
          // The rest of the call's records are in the next batch: it waits for that one too.
          if (carry[p]! > 0) {
            openCalls[p]!.push(call);
            call.left++;
          }
        }
        if (last && carry[p]! > 0) {
          send(carry[p]!);
          carry[p] = 0;
        }
        if (list.length === 0) continue;
        posted.messages++;
        posted.items += list.length;
        posted.buffers += list.length;
        for (const r of list) posted.bytes += r.buffer.byteLength;
        clients[p]!.postMessage({ t: 'req', list }, list.map((r) => r.buffer));
      }
    });
  const drive = async (n: number): Promise<void> => {
    let next = 0;
    await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
      while (next++ < n) await oneCall(next === n);
    }));
  };
  const nodeCounts = (): Promise<Posted[]> =>
    Promise.all(clients.map((c) => new Promise<Posted>((resolve) => {
      const on = (m: { t: string; posted: Posted }): void => {
        if (m.t !== 'counts') return;
        c.off('message', on);
        resolve(m.posted);
      };
      c.on('message', on);
      c.postMessage({ t: 'counts' });
    })));
  await drive(warmupCalls);
  const before = await nodeCounts();
  const mainBefore = { ...posted };
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  await drive(calls);
  const wallS = (performance.now() - t0) / 1000;
  const used = process.cpuUsage(cpu);
  const after = await nodeCounts();
  for (const w of workers) await w.terminate();
  const records = calls * PER_CALL;
  const per1k = (n: number): number => Number(((n * 1000) / records).toFixed(2));
  const nodes = after.map((a, i) => Object.fromEntries(Object.keys(a).map((k) => [k, a[k as keyof Posted] - before[i]![k as keyof Posted]])) as unknown as Posted);
  const sum = (k: keyof Posted): number => nodes.reduce((s, n) => s + n[k], 0);
  const mainMessages = posted.messages - mainBefore.messages;
  const mainItems = posted.items - mainBefore.items;
  return {
    name: `pernode-skeleton:${mode}`,
    recordsPerSec: Math.round(records / wallS),
    cpuUsPerRecord: Number(((used.user + used.system) / records).toFixed(2)),
    cores: Number(((used.user + used.system) / 1e6 / wallS).toFixed(2)),
    mainMessages: per1k(mainMessages),
    mainItems: per1k(mainItems),
    mainKiB: Number((posted.bytes / posted.buffers / 1024).toFixed(1)),
    nodeMessages: per1k(sum('messages') / NODES),
    nodeItems: per1k(sum('items') / NODES),
    nodeBuffers: per1k(sum('buffers') / NODES),
    nodeKiB: Number((sum('buffers') === 0 ? 0 : sum('bytes') / sum('buffers') / 1024).toFixed(1)),
    perNode: nodes.map((n) => per1k(n.messages)).join(' '),
    nodeKinds: `${per1k(sum('fetches') / NODES)} fetch requests, ${per1k(sum('fetchAnswers') / NODES)} fetch answers, ${per1k(sum('produceAnswers') / NODES)} Produce answers`,
    bytesPerRecord,
    bytesPerRequest,
    load: Number(loadavg()[0]!.toFixed(1)),
  };
}

interface ProbeSnap { tid: string; main: boolean; counts: { messages: number; items: number; transferred: number; bytes: number; kinds: Record<string, number> } }

/** The real per-node case of the RF 3 row, counted by `bench/workers-probe.cjs` (which must be preloaded). */
async function countReal(calls: number, warmupCalls: number): Promise<Record<string, number | string>> {
  const channel = new BroadcastChannel('tributary-probe');
  const snaps: ProbeSnap[] = [];
  channel.onmessage = ({ data }: { data: unknown }) => {
    const d = data as { from?: string } & ProbeSnap;
    if (d.from === 'probe') snaps.push(d);
  };
  const tell = (cmd: string): void => channel.postMessage({ from: 'bench', cmd });
  const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
  // Loaded here: the skeleton's processes need none of the library.
  const { Cluster } = await import('../src/index.js');
  const cluster = await Cluster.start({ nodes: NODES, threads: 'per-node' });
  await cluster.admin().createTopics([{ name: 'bench', partitions: NODES, replicationFactor: 3 }]);
  const producer = cluster.producer({ lingerMs: 0, acks: 'all' });
  const value = new Uint8Array(100).fill(7);
  const records = Array.from({ length: PER_CALL }, (_, i) => ({ key: `k${i % 64}`, value }));
  const drive = async (n: number): Promise<void> => {
    let next = 0;
    await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
      while (next++ < n) await producer.send('bench', records);
    }));
  };
  await drive(warmupCalls);
  tell('reset');
  await pause(20);
  const m0 = producer.metrics();
  const t0 = performance.now();
  await drive(calls);
  const wallS = (performance.now() - t0) / 1000;
  const m1 = producer.metrics();
  snaps.length = 0;
  tell('snap');
  for (let i = 0; i < 200 && snaps.length < NODES + 1; i++) await pause(5);
  channel.close();
  await producer.close();
  await cluster.close();
  const n = calls * PER_CALL;
  const per1k = (x: number): number => Number(((x * 1000) / n).toFixed(2));
  const main = snaps.find((s) => s.main);
  // The nodes' workers: the three busiest (the pool's idle workers answer the probe too).
  const nodes = snaps.filter((s) => !s.main).sort((a, b) => b.counts.messages - a.counts.messages).slice(0, NODES);
  if (main === undefined || nodes.length !== NODES) throw new Error(`the probe answered for ${snaps.length} threads: ${JSON.stringify(snaps.map((s) => [s.main, s.counts.messages]))} (is bench/workers-probe.cjs preloaded with --require?)`);
  const sum = (f: (s: ProbeSnap) => number): number => nodes.reduce((s, x) => s + f(x), 0);
  const kinds: Record<string, number> = {};
  for (const s of nodes) for (const [k, v] of Object.entries(s.counts.kinds)) kinds[k] = (kinds[k] ?? 0) + v / NODES;
  const requests = m1.produceLatencyMs.count - m0.produceLatencyMs.count;
  const bytes = m1.bytesSent - m0.bytesSent;
  const sent = m1.recordsSent - m0.recordsSent;
  return {
    name: 'pernode-count',
    recordsPerSec: Math.round(n / wallS),
    mainMessages: per1k(main.counts.messages),
    mainItems: per1k(main.counts.items),
    mainKiB: Number((main.counts.transferred === 0 ? 0 : main.counts.bytes / main.counts.transferred / 1024).toFixed(1)),
    nodeMessages: per1k(sum((s) => s.counts.messages) / NODES),
    nodeItems: per1k(sum((s) => s.counts.items) / NODES),
    nodeBuffers: per1k(sum((s) => s.counts.transferred) / NODES),
    nodeKiB: Number((sum((s) => s.counts.transferred) === 0 ? 0 : sum((s) => s.counts.bytes) / sum((s) => s.counts.transferred) / 1024).toFixed(1)),
    perNode: nodes.map((s) => per1k(s.counts.messages)).join(' '),
    nodeKinds: (() => {
      // `req:1` a replica Fetch (`f` framed), `res` any answer: a node's answers are its Produce answers (a third of the requests) and its fetch answers.
      const of = (prefix: string): number => Object.entries(kinds).filter(([k]) => k.startsWith(prefix)).reduce((t, [, v]) => t + v, 0);
      // The probe names a typed Produce answer `res:0` and a peer fetch answer `res:1+` (with batches) or `res:1-` (since session 10); before, every answer was `res`.
      const produceAnswers = of('res:0') > 0 ? of('res:0') : requests / NODES;
      const empty = of('res:1-') > 0 ? ` (${per1k(of('res:1-'))} of them empty)` : '';
      return `${per1k(of('req:1'))} fetch requests, ${per1k(of('res') - produceAnswers)} fetch answers${empty}, ${per1k(produceAnswers)} Produce answers, ${per1k(sum((s) => s.counts.items) / NODES - of('req:1') - of('res'))} other`;
    })(),
    requestsPer1k: per1k(requests),
    bytesPerRecord: Math.round(bytes / sent),
    bytesPerRequest: Math.round(bytes / requests),
    load: Number(loadavg()[0]!.toFixed(1)),
  };
}

type Run = CaseResult & { load: number };

/**
 * The rows the workers section prints beside its RF 3 rows: the real per-node run's posts
 * counted (once, under the probe), then each skeleton three times with that run's sizes.
 * `inline` and `perNode` are the section's RF 3 rows (median and the three runs).
 */
export async function pernodeCeilingSection(inline: { value: number; runs: readonly CaseResult[] }, perNode: { value: number; runs: readonly CaseResult[] }): Promise<string> {
  const countLoad = Number(loadavg()[0]!.toFixed(1));
  const count = { ...(await runCase('./pernode-ceiling.ts', ['count'], ['--require', fileURLToPath(new URL('./workers-probe.cjs', import.meta.url))])), load: countLoad } as Run;
  const sizes = [String(count.bytesPerRecord), String(count.bytesPerRequest)];
  const three = async (mode: string): Promise<{ runs: Run[]; median: number; middle: Run }> => {
    const runs: Run[] = [];
    for (let i = 0; i < 3; i++) {
      const load = Number(loadavg()[0]!.toFixed(1));
      runs.push({ ...(await runCase('./pernode-ceiling.ts', [mode, ...sizes])), load } as Run);
    }
    const sorted = [...runs].sort((a, b) => Number(a.recordsPerSec) - Number(b.recordsPerSec));
    return { runs, median: Number(sorted[1]!.recordsPerSec), middle: sorted[1]! };
  };
  const coalesced = await three('skeleton');
  const perBatch = await three('skeleton:per-batch');
  const rates = (m: { runs: Run[] }): string => m.runs.map((r) => `${fmt(Number(r.recordsPerSec))} (${r.load})`).join(', ');
  const cpus = (m: { runs: Run[] }): string => m.runs.map((r) => `${r.cpuUsPerRecord} µs / ${r.cores} cores`).join('; ');
  const ratio = (m: { median: number }): string => fmt(m.median / inline.value, 2);
  const pairwise = (m: { runs: Run[] }): string => m.runs.map((r, i) => fmt(Number(r.recordsPerSec) / Number(inline.runs[i]!.recordsPerSec), 2)).join(', ');
  const low = Math.min(coalesced.median, perBatch.median) / inline.value;
  const high = Math.max(coalesced.median, perBatch.median) / inline.value;
  const verdict = low >= 1.3
    ? 'Both skeletons are above 1.3x inline: the message pattern alone does not put the target out of this machine\'s reach; per-node loses the difference in the work its threads do beside the messages (the producer, the brokers\' checks and appends, the port codec), four isolates on two cores.'
    : high < 1.3
      ? 'Both skeletons are below 1.3x inline: with this message pattern the target is out of this machine\'s reach, whatever the brokers cost.'
      : 'One skeleton is above 1.3x inline and one below: the real run\'s fetch rounds lie between the two, so by rate this run does not decide; the CPU figures below do not depend on the load.';
  const medianCpu = (runs: readonly CaseResult[]): number => runs.map((r) => Number(r.cpuUsPerRecord)).sort((a, b) => a - b)[1]!;
  const perNodeCpu = medianCpu(perNode.runs);
  const inlineCpu = medianCpu(inline.runs);
  const messagesCpu = [Number(coalesced.middle.cpuUsPerRecord), Number(perBatch.middle.cpuUsPerRecord)];
  // Two busy cores against inline's one: the ratio a CPU cost a record allows.
  const onTwoCores = (us: number): string => fmt((2 * inlineCpu) / us, 2);
  const msgRow = (what: string, r: CaseResult): string[] => [what, `${r.mainMessages} (${r.mainItems} requests, buffers of ${r.mainKiB} KiB)`, `${r.nodeMessages} (${r.perNode})`, String(r.nodeKinds), `${r.nodeBuffers} of ${r.nodeKiB} KiB`, fmt(Number(r.recordsPerSec))];
  return `${table(['skeleton (bench/pernode-ceiling.ts): the same threads and messages, no broker or producer work', 'rec/s (load)', 'median', 'CPU per record / cores busy'], [
    ['coalesced (a fetch answer carries every byte past its offset)', rates(coalesced), fmt(coalesced.median), cpus(coalesced)],
    ['per-batch (a fetch answer carries one batch: more fetch rounds than the real run)', rates(perBatch), fmt(perBatch.median), cpus(perBatch)],
  ])}\n\n`
    + `ceiling for per-node/inline: **${ratio(coalesced)}** (coalesced; pairwise ${pairwise(coalesced)}), **${ratio(perBatch)}** (per-batch; pairwise ${pairwise(perBatch)}). ${verdict} In CPU, which does not depend on the load (the rates above do: under a load past 2, 'inline' gets less than its one core): with both cores always busy, 'per-node' reaches 1.3x an 'inline' that has one core at most at 2 x ${inlineCpu} µs / 1.3 = ${fmt((2 * inlineCpu) / 1.3, 2)} µs of CPU a record over all its threads ('inline' ${inlineCpu} µs, the median run); the 'per-node' row spends ${perNodeCpu} µs (${onTwoCores(perNodeCpu)}x on two busy cores). The skeletons' messages alone cost ${messagesCpu[0]}-${messagesCpu[1]} µs a record: inline's work plus them, ${fmt(inlineCpu + messagesCpu[0]!, 2)}-${fmt(inlineCpu + messagesCpu[1]!, 2)} µs, would allow ${onTwoCores(inlineCpu + messagesCpu[1]!)}-${onTwoCores(inlineCpu + messagesCpu[0]!)}x.\n\n`
    + `Messages a 1,000 records, as each thread posts them (the real run counted by bench/workers-probe.cjs under the row's case, 1,000 calls of warm-up then 1,000; the skeletons count their own posts; the middle run of three):\n\n${table(['run', 'calling thread: messages (carrying)', 'each node: messages (nodes)', 'each node: carrying', 'each node: buffers transferred', 'rec/s'], [
      msgRow(`real 'per-node' (load ${count.load}; producer: ${count.requestsPer1k} Produce requests, ${count.bytesPerRequest} bytes a request, ${count.bytesPerRecord} a record)`, count),
      msgRow('skeleton, coalesced', coalesced.middle),
      msgRow('skeleton, per-batch', perBatch.middle),
    ])}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const mode = process.argv[2] ?? 'skeleton';
  if (mode === 'skeleton' || mode === 'skeleton:per-batch') {
    const bytesPerRecord = Number(process.argv[3] ?? 113);
    const bytesPerRequest = Number(process.argv[4] ?? 15_852);
    report(await skeleton(mode === 'skeleton' ? 'coalesced' : 'per-batch', bytesPerRecord, bytesPerRequest, Number(process.env.SKELETON_CALLS ?? 3000), Number(process.env.SKELETON_WARMUP_CALLS ?? 500)) as Record<string, number | string>);
  } else if (mode === 'count') {
    report(await countReal(Number(process.env.COUNT_CALLS ?? 1000), Number(process.env.COUNT_WARMUP_CALLS ?? 1000)) as Record<string, number | string>);
  } else {
    throw new Error(`unknown mode ${mode}: skeleton or count`);
  }
}
