/**
 * Where the RF 3 workers row's CPU goes, thread by thread (issue 11):
 * `node --require ./bench/workers-probe.cjs --import tsx bench/workers-pernode.ts <inline|per-node>`.
 *
 * The bench's case (`rf3:*` in `workers-cases.ts`: a producer in this thread, 100-byte
 * records in calls of 1,000, four in flight, acks=all, a 3-node cluster with a topic of 3
 * partitions at replication factor 3), run as `WINDOWS` consecutive windows of `CALLS`
 * calls after `WARMUP_CALLS` (defaults 8 x 300 after 300), so the windows show how long
 * the JIT takes to settle. For each window: records/s, CPU ns a record of the whole process
 * (`process.cpuUsage()`), and of each OS thread (`/proc/self/task/<tid>/schedstat`): this
 * thread, each node's worker (the threads the probe runs in), and the rest (V8's platform
 * threads: compiler and GC helpers; libuv's pool). For the last window, per 1,000 records:
 * the times each thread went to sleep (voluntary context switches, each a wake-up later),
 * the messages it posted and what they carried (`req:0` a Produce request, `req:1f` a framed
 * replica Fetch, `res:1f` its framed answer, `res` any other answer), transferred buffers and
 * their bytes, and its GC pauses. `PROF=<dir>`: a CPU profile of every JS thread over the
 * last window, `<dir>/<thread>-<tid>.cpuprofile` (`bench/workers-profile.ts` summarizes).
 */
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { BroadcastChannel } from 'node:worker_threads';
import { Cluster } from '../src/index.js';

const threads = (process.argv[2] ?? 'per-node') as 'inline' | 'per-node';
const WARMUP_CALLS = Number(process.env.WARMUP_CALLS ?? 300);
const CALLS = Number(process.env.CALLS ?? 300);
const WINDOWS = Number(process.env.WINDOWS ?? 8);
const PROF = process.env.PROF;
const PER_CALL = 1000;
const IN_FLIGHT = Number(process.env.IN_FLIGHT ?? 4);

interface ThreadStat { cpuNs: number; sleeps: number; preempted: number }

function readThreads(): Map<string, ThreadStat> {
  const out = new Map<string, ThreadStat>();
  for (const t of readdirSync('/proc/self/task')) {
    try {
      const status = readFileSync(`/proc/self/task/${t}/status`, 'utf8');
      out.set(t, {
        cpuNs: Number(readFileSync(`/proc/self/task/${t}/schedstat`, 'utf8').split(' ')[0]),
        sleeps: Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0),
        preempted: Number(/^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0),
      });
    } catch {
      // gone
    }
  }
  return out;
}

interface Snap { tid: string; main: boolean; threadId: number; counts: { messages: number; items: number; transferred: number; bytes: number; kinds: Record<string, number>; gcCount: number; gcMs: number; gcKinds?: Record<string, { n: number; ms: number }>; clones?: Record<string, { n: number; items: number; serNs: number; deNs: number; bytes: number; viewBytes: number; transferred: number }> } }

const channel = new BroadcastChannel('tributary-probe');
const probes: Snap[] = [];
let profiled = 0;
channel.onmessage = ({ data }: { data: unknown }) => {
  const d = data as { from?: string; profiled?: boolean } & Snap;
  if (d.from !== 'probe') return;
  if (d.profiled) profiled++;
  else probes.push(d);
};
const tell = (cmd: string, extra: object = {}): void => channel.postMessage({ from: 'bench', cmd, ...extra });
const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Every JS thread's probe counts (this one's too: a BroadcastChannel does not deliver to its own sender, so the main thread's probe answers on its own channel). */
async function snap(expect: number): Promise<Snap[]> {
  probes.length = 0;
  tell('snap');
  for (let i = 0; i < 200 && probes.length < expect; i++) await pause(5);
  return [...probes];
}

const cluster = await Cluster.start({ nodes: 3, threads });
await cluster.admin().createTopics([{ name: 'bench', partitions: 3, replicationFactor: 3 }]);
const producer = cluster.producer({ lingerMs: 0, acks: 'all' });
const value = new Uint8Array(100).fill(7);
const records = Array.from({ length: PER_CALL }, (_, i) => ({ key: `k${i % 64}`, value }));
async function drive(calls: number): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (next++ < calls) await producer.send('bench', records);
  }));
}
const started = performance.now();
await drive(WARMUP_CALLS);
const probeThreads = threads === 'per-node' ? 4 : 1;
const jsTids = new Set((await snap(probeThreads)).map((s) => s.tid));
jsTids.add(String(process.pid));
const role = (t: string): string => (t === String(process.pid) ? 'main' : jsTids.has(t) ? 'node' : 'other');

const ns = (n: number): string => n.toFixed(0).padStart(5);
console.log(`${threads}: ${WARMUP_CALLS} calls of warm-up in ${((performance.now() - started) / 1000).toFixed(2)} s; windows of ${CALLS} calls (load ${(await import('node:os')).loadavg()[0]!.toFixed(1)})`);
console.log('window  s-since-start  rec/s       cores  ns/rec: all  main  nodes (each)       other');
for (let w = 0; w < WINDOWS; w++) {
  const last = w === WINDOWS - 1;
  if (last) {
    tell('reset');
    if (PROF !== undefined) {
      mkdirSync(PROF, { recursive: true });
      tell('prof-start');
    }
    await pause(20);
  }
  const before = readThreads();
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  await drive(CALLS);
  const wallS = (performance.now() - t0) / 1000;
  const used = process.cpuUsage(cpu);
  const after = readThreads();
  const n = CALLS * PER_CALL;
  const rows = [...after].map(([t, a]) => {
    const b = before.get(t) ?? { cpuNs: 0, sleeps: 0, preempted: 0 };
    return { t, role: role(t), cpuNs: a.cpuNs - b.cpuNs, sleeps: a.sleeps - b.sleeps, preempted: a.preempted - b.preempted };
  });
  const sum = (r: string): number => rows.filter((x) => x.role === r).reduce((s, x) => s + x.cpuNs, 0);
  const nodes = rows.filter((x) => x.role === 'node').map((x) => ns(x.cpuNs / n)).join(' ');
  console.log(`${String(w).padStart(6)}  ${((performance.now() - started) / 1000).toFixed(1).padStart(13)}  ${Math.round(n / wallS).toString().padStart(9)}  ${(((used.user + used.system) / 1e6) / wallS).toFixed(2).padStart(5)}  ${ns(((used.user + used.system) * 1000) / n).padStart(10)}  ${ns(sum('main') / n)}  ${ns(sum('node') / n)} (${nodes})  ${ns(sum('other') / n)}`);
  if (!last) continue;
  const snaps = await snap(probeThreads);
  if (PROF !== undefined) {
    tell('prof-stop', { dir: PROF });
    for (let i = 0; i < 400 && profiled < probeThreads; i++) await pause(10);
  }
  const per1k = (x: number): string => ((x * 1000) / n).toFixed(2);
  console.log(`\nlast window, per 1,000 records (sleeps: voluntary switches; posts: messages a thread posted, with what they carried):`);
  for (const r of rows.filter((x) => x.cpuNs > 1e5 || x.role !== 'other').sort((a, b) => b.cpuNs - a.cpuNs)) {
    const s = snaps.find((p) => p.tid === r.t);
    const c = s?.counts;
    const posts = c === undefined ? '' : `; posts ${per1k(c.messages)} carrying ${Object.entries(c.kinds).map(([k, v]) => `${per1k(v)} ${k}`).join(', ')}; ${per1k(c.transferred)} buffers of ${(c.transferred ? c.bytes / c.transferred / 1024 : 0).toFixed(1)} KiB; gc ${per1k(c.gcCount)} pauses, ${((c.gcMs * 1e6) / n).toFixed(0)} ns/rec (${Object.entries(c.gcKinds ?? {}).map(([k, g]) => `kind ${k}: ${per1k(g.n)} x, ${((g.ms * 1e6) / n).toFixed(0)} ns/rec`).join('; ')})`;
    let comm = '?';
    try { comm = readFileSync(`/proc/self/task/${r.t}/comm`, 'utf8').trim(); } catch { /* gone */ }
    console.log(`  ${r.role.padEnd(5)} ${r.t.padEnd(8)} ${comm.padEnd(16)} ${ns(r.cpuNs / n)} ns/rec, sleeps ${per1k(r.sleeps)}, preempted ${per1k(r.preempted)}${posts}`);
    for (const [k, x] of Object.entries(c?.clones ?? {})) {
      console.log(`      clone of a message led by ${k} (${x.n} sampled, ${(x.items / x.n).toFixed(1)} items): serialize ${(x.serNs / x.n / 1000).toFixed(1)} us, deserialize ${(x.deNs / x.n / 1000).toFixed(1)} us, ${Math.round((x.bytes - x.viewBytes) / x.n)} bytes besides ${Math.round(x.viewBytes / x.n)} of views (${Math.round(x.transferred / x.n)} transferred)`);
    }
  }
}
channel.close();
await producer.close();
await cluster.close();
