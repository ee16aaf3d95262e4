/**
 * The Produce pipeline of a producer in a worker, traced (`npx tsx bench/workers-explore.ts
 * [calls]`, `EV=1` to print the first events): the bench's producer (100-byte records,
 * calls of 1,000, four in flight, 100 calls of warm-up) against a 1-node cluster in this
 * thread. Prints, over the measured calls: Produce requests a call, batches a request and
 * bytes a batch, how many requests were in flight when each was sent (a histogram), and
 * with `EV=1` a timeline of sends, answers and call starts in the worker. A pipeline that
 * keeps both threads busy shows requests in flight that never fall to zero; a lock-step
 * shows them falling to zero at every answer message.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { Cluster, connectHandle, type ClusterHandle, type Producer } from '../src/index.js';
import { PortTransport } from '../src/transport/port/port-transport.js';

const CALLS = Number((isMainThread ? process.argv[2] : (workerData as { calls?: number }).calls) ?? 1000);
const PER_CALL = 1000;
const EVENTS_MAX = 200;

type Produce = { apiKey: number; topicData?: { partitionData: { records: Uint8Array }[] }[] };

async function drive(producer: Producer) {
  const value = new Uint8Array(100).fill(7);
  const records = Array.from({ length: PER_CALL }, (_, i) => ({ key: `k${i % 64}`, value }));
  for (let i = 0; i < 100; i++) await producer.send('bench', records);
  const stats = { requests: 0, batches: 0, bytes: 0, inFlightAtSend: new Map<number, number>() };
  let inFlight = 0;
  const events: string[] = [];
  const t0 = performance.now();
  const event = (what: string): void => {
    if (events.length < EVENTS_MAX) events.push(`${(performance.now() - t0).toFixed(3)} ms ${what}`);
  };
  const send = PortTransport.prototype.send;
  PortTransport.prototype.send = function (this: PortTransport, node, request, options) {
    const answer = send.call(this, node, request, options);
    const req = request as Produce;
    if (req.apiKey !== 0) return answer;
    stats.requests++;
    let batches = 0;
    for (const t of req.topicData ?? []) for (const p of t.partitionData) (batches++, (stats.bytes += p.records.byteLength));
    stats.batches += batches;
    stats.inFlightAtSend.set(inFlight, (stats.inFlightAtSend.get(inFlight) ?? 0) + 1);
    inFlight++;
    event(`send: ${batches} batches, ${inFlight} in flight`);
    const done = (): void => {
      inFlight--;
      event(`answer: ${inFlight} in flight`);
    };
    answer.then(done, done);
    return answer;
  } as typeof send;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 4 }, async (_, k) => {
      while (next++ < CALLS) {
        event(`call ${k} starts`);
        await producer.send('bench', records);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  PortTransport.prototype.send = send;
  return {
    recordsPerSec: Math.round((CALLS * PER_CALL) / seconds),
    requestsPerCall: stats.requests / CALLS,
    batchesPerRequest: stats.batches / stats.requests,
    bytesPerBatch: Math.round(stats.bytes / stats.batches),
    inFlightAtSend: Object.fromEntries([...stats.inFlightAtSend].sort((a, b) => a[0] - b[0])),
    events,
  };
}

if (!isMainThread) {
  const remote = await connectHandle((workerData as { handle: ClusterHandle }).handle);
  parentPort!.postMessage(await drive(remote.producer({ lingerMs: 0 })));
  await remote.close();
} else {
  const cluster = await Cluster.start();
  await cluster.admin().createTopics([{ name: 'bench', partitions: 4 }]);
  const handle = cluster.createHandle();
  const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}); })`;
  const w = new Worker(boot, { eval: true, workerData: { handle, calls: CALLS }, transferList: [handle.port] });
  const r = await new Promise<Awaited<ReturnType<typeof drive>>>((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });
  const { events, ...figures } = r;
  console.log(JSON.stringify(figures));
  if (process.env.EV) console.log(events.join('\n'));
  await w.terminate();
  await cluster.close();
}
