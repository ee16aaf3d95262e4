/**
 * What the producer row costs in messages and wake-ups, figures that do not depend on the
 * machine's load (`npx tsx bench/workers-count.ts [worker|main] [calls]`): the bench's
 * producer (100-byte records, calls of 1,000, four in flight, 100 calls of warm-up) against
 * a 1-node cluster in this thread, from a worker through `cluster.createHandle()` or from
 * this thread. Prints, a call of 1,000 records: the messages each thread posted on its
 * ports, the requests or answers they carried and the buffers they transferred; and per OS
 * thread (Linux `/proc/self/task`) the CPU µs and the times it went to sleep (voluntary
 * context switches, each one a wake-up later) and was preempted. The threads that are
 * neither the cluster's nor the worker's are V8's platform threads (JIT, GC helpers).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { MessagePort, Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
import { Cluster, connectHandle, type ClusterHandle, type Producer } from '../src/index.js';

/**
 * `PROF=<dir>`: a CPU profile of each JS thread over the measured calls only (started after
 * the warm-up, through `node:inspector`), written as `<dir>/<thread>.cpuprofile` for
 * `bench/workers-profile.ts`: the profiles of `--cpu-prof` cover the start too (module
 * loading through tsx's hooks, 10-20% of each thread's samples).
 */
const PROF = process.env.PROF;
function startProfile(name: string): () => Promise<void> {
  if (PROF === undefined) return async () => {};
  const s = new Session();
  s.connect();
  const post = (m: string, p?: object): Promise<unknown> => new Promise((res, rej) => s.post(m, p, (e, r) => (e ? rej(e) : res(r))));
  const started = post('Profiler.enable').then(() => post('Profiler.setSamplingInterval', { interval: 100 })).then(() => post('Profiler.start'));
  return async () => {
    await started;
    const r = (await post('Profiler.stop')) as { profile: unknown };
    writeFileSync(`${PROF}/${name}.cpuprofile`, JSON.stringify(r.profile));
    s.disconnect();
  };
}

/** From the command line, or in a worker from its `workerData` (a worker's `process.argv` is not the parent's). */
const CALLS = Number((isMainThread ? process.argv[3] : (workerData as { calls?: number }).calls) ?? 2000);
const WARMUP_CALLS = 100;
const PER_CALL = 1000;

const posted = { messages: 0, items: 0, transferred: 0 };
const proto = MessagePort.prototype as unknown as { postMessage(m: unknown, transfer?: readonly unknown[]): void };
const post = proto.postMessage;
proto.postMessage = function (this: MessagePort, m: unknown, transfer?: readonly unknown[]) {
  posted.messages++;
  const list = (m as { list?: unknown[] } | null)?.list;
  posted.items += Array.isArray(list) ? list.length : 1;
  posted.transferred += transfer?.length ?? 0;
  post.call(this, m, transfer);
};

/** Per OS thread: CPU µs, µs runnable but waiting for a core (the load's share), sleeps, preemptions. */
type ThreadStats = Map<string, { cpuUs: number; waitUs: number; sleeps: number; preempted: number }>;

function threads(): ThreadStats {
  const out: ThreadStats = new Map();
  for (const t of readdirSync('/proc/self/task')) {
    try {
      const status = readFileSync(`/proc/self/task/${t}/status`, 'utf8');
      const sched = readFileSync(`/proc/self/task/${t}/schedstat`, 'utf8').split(' ');
      out.set(t, {
        cpuUs: Number(sched[0]) / 1000,
        waitUs: Number(sched[1]) / 1000,
        sleeps: Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0),
        preempted: Number(/^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0),
      });
    } catch {
      // gone
    }
  }
  return out;
}

/** The OS thread id of the calling JS thread. */
function ownTid(): string {
  return readFileSync('/proc/thread-self/stat', 'utf8').split(' ')[0]!;
}

type Elu = ReturnType<typeof performance.eventLoopUtilization>;

async function drive(producer: Producer): Promise<{ tid: string; posted: typeof posted; before: ThreadStats; after: ThreadStats; cpuUsPerRecord: number; elu: Elu; wallMs: number }> {
  const value = new Uint8Array(100).fill(7);
  const records = Array.from({ length: PER_CALL }, (_, i) => ({ key: `k${i % 64}`, value }));
  for (let i = 0; i < WARMUP_CALLS; i++) await producer.send('bench', records);
  parentPort?.postMessage('measuring');
  const stopProfile = startProfile(isMainThread ? 'main-producer' : 'worker-producer');
  const before = threads();
  const at = { ...posted };
  const cpu = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (next++ < CALLS) await producer.send('bench', records);
  }));
  const used = process.cpuUsage(cpu);
  const elu = performance.eventLoopUtilization(elu0);
  const wallMs = performance.now() - t0;
  const after = threads();
  await stopProfile();
  return {
    elu,
    wallMs,
    tid: ownTid(),
    posted: { messages: posted.messages - at.messages, items: posted.items - at.items, transferred: posted.transferred - at.transferred },
    before,
    after,
    cpuUsPerRecord: (used.user + used.system) / (CALLS * PER_CALL),
  };
}

if (!isMainThread) {
  const remote = await connectHandle((workerData as { handle: ClusterHandle }).handle);
  const producer = remote.producer({ lingerMs: 0 });
  // `/proc/self` is the process in any thread: the worker reads every thread's figures itself.
  const result = await drive(producer);
  result.posted.messages--; // its own 'measuring'
  result.posted.items--;
  parentPort!.postMessage(result);
  await remote.close();
} else {
  const which = process.argv[2] ?? 'worker';
  const cluster = await Cluster.start();
  await cluster.admin().createTopics([{ name: 'bench', partitions: 4 }]);
  const mainTid = ownTid();
  let workerTid: string | undefined;
  let result: Awaited<ReturnType<typeof drive>>;
  if (which === 'worker') {
    const handle = cluster.createHandle();
    const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}); })`;
    const w = new Worker(boot, { eval: true, workerData: { handle, calls: CALLS }, transferList: [handle.port] });
    let at = { ...posted };
    let clusterElu0 = performance.eventLoopUtilization();
    let stopProfile = async (): Promise<void> => {};
    const r = await new Promise<Awaited<ReturnType<typeof drive>>>((resolve, reject) => {
      w.on('message', (m: unknown) => {
        if (m !== 'measuring') return resolve(m as Awaited<ReturnType<typeof drive>>);
        at = { ...posted };
        clusterElu0 = performance.eventLoopUtilization();
        stopProfile = startProfile('cluster');
      });
      w.once('error', reject);
    });
    const clusterElu = performance.eventLoopUtilization(clusterElu0);
    await stopProfile();
    console.log(`event loop a call: cluster busy ${(clusterElu.active * 1000 / CALLS).toFixed(0)} µs, idle ${(clusterElu.idle * 1000 / CALLS).toFixed(0)} µs; producer busy ${(r.elu.active * 1000 / CALLS).toFixed(0)} µs, idle ${(r.elu.idle * 1000 / CALLS).toFixed(0)} µs; wall ${(r.wallMs * 1000 / CALLS).toFixed(0)} µs (${Math.round(CALLS * PER_CALL / (r.wallMs / 1000))} records/s)`);
    workerTid = r.tid;
    result = r;
    const answers = { messages: posted.messages - at.messages, items: posted.items - at.items };
    console.log(`cluster thread: ${(answers.messages / CALLS).toFixed(2)} messages a call, carrying ${(answers.items / CALLS).toFixed(2)} answers`);
    await w.terminate();
  } else {
    result = await drive(cluster.producer({ lingerMs: 0 }));
    console.log(`event loop a call: busy ${(result.elu.active * 1000 / CALLS).toFixed(0)} µs, idle ${(result.elu.idle * 1000 / CALLS).toFixed(0)} µs; wall ${(result.wallMs * 1000 / CALLS).toFixed(0)} µs (${Math.round(CALLS * PER_CALL / (result.wallMs / 1000))} records/s)`);
  }
  await cluster.close();
  const p = result.posted;
  if (which === 'worker') console.log(`producer thread: ${(p.messages / CALLS).toFixed(2)} messages a call, carrying ${(p.items / CALLS).toFixed(2)} requests and ${(p.transferred / CALLS).toFixed(2)} transferred buffers`);
  console.log(`CPU µs a record, whole process: ${result.cpuUsPerRecord.toFixed(3)} (${which}, ${CALLS} calls, load ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]})`);
  if (which === 'worker') {
    // Overlap: the time the two JS threads wanted a core (ran, or waited in the run queue
    // for one), added, over the wall time. About 1 when they take turns (one sleeps while
    // the other works), up to 2 when both always have work: a figure of the pipeline that
    // the machine's load does not set, unlike the rate.
    const wanted = (tid: string | undefined): number => {
      const a = tid === undefined ? undefined : result.after.get(tid);
      const b = tid === undefined ? undefined : result.before.get(tid);
      return a === undefined || b === undefined ? 0 : a.cpuUs - b.cpuUs + a.waitUs - b.waitUs;
    };
    const wallUs = result.wallMs * 1000;
    console.log(`overlap of the two JS threads: ${((wanted(mainTid) + wanted(workerTid)) / wallUs).toFixed(2)} (cluster wanted a core ${((100 * wanted(mainTid)) / wallUs).toFixed(0)}% of the time, producer ${((100 * wanted(workerTid)) / wallUs).toFixed(0)}%)`);
  }
  for (const [tid, a] of result.after) {
    const b = result.before.get(tid);
    if (b === undefined) continue;
    const cpu = (a.cpuUs - b.cpuUs) / CALLS;
    if (cpu < 1) continue;
    const name = tid === mainTid ? 'cluster (main)' : tid === workerTid ? 'producer (worker)' : `other ${tid}`;
    console.log(`  ${name.padEnd(18)} CPU ${cpu.toFixed(0).padStart(4)} µs, waited for a core ${((a.waitUs - b.waitUs) / CALLS).toFixed(0).padStart(4)} µs, slept ${((a.sleeps - b.sleeps) / CALLS).toFixed(2)}, preempted ${((a.preempted - b.preempted) / CALLS).toFixed(2)} a call`);
  }
}
