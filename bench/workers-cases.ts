/**
 * One case of the workers section: a Producer sending 100-byte records in calls of 1,000
 * (four calls in flight) to a 1-node cluster in this thread, either from this thread
 * (`main`) or from a worker thread through `cluster.createHandle()` (`worker`). Prints
 * records/s. Run by bench/workers.ts in a fresh process each.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { Cluster, connectHandle, type ClusterHandle, type Producer } from '../src/index.js';
import { report } from './lib.js';

const CALLS = 300;
const PER_CALL = 1000;
const IN_FLIGHT = 4;

async function drive(producer: Producer): Promise<number> {
  const value = new Uint8Array(100).fill(7);
  const records = Array.from({ length: PER_CALL }, (_, i) => ({ key: `k${i % 64}`, value }));
  await producer.send('bench', records); // warm-up
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next++ < CALLS) await producer.send('bench', records);
    }),
  );
  return (CALLS * PER_CALL) / ((performance.now() - started) / 1000);
}

if (!isMainThread) {
  const remote = await connectHandle(workerData as ClusterHandle);
  const rate = await drive(remote.producer({ lingerMs: 0 }));
  await remote.close();
  parentPort!.postMessage(rate);
} else {
  const where = process.argv[2] ?? 'main';
  const cluster = await Cluster.start();
  await cluster.admin().createTopics([{ name: 'bench', partitions: 4 }]);
  let rate: number;
  if (where === 'worker') {
    const handle = cluster.createHandle();
    // A worker does not inherit `--import tsx` on Node 20: register tsx in it, then load this file.
    const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}); })`;
    const w = new Worker(boot, { eval: true, workerData: handle, transferList: [handle.port] });
    rate = await new Promise<number>((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    });
    await w.terminate();
  } else {
    rate = await drive(cluster.producer({ lingerMs: 0 }));
  }
  await cluster.close();
  report({ name: where, recordsPerSec: Math.round(rate) });
}
