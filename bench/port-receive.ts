/**
 * What receiving a message on a `MessagePort` costs the receiving thread, by how the
 * listener is attached (issue 11, the port machinery of `'per-node'`):
 * `npx tsx bench/port-receive.ts [messages] [rounds]`.
 *
 * A worker receives `messages` small messages shaped like a port answer (`{ t: 'res', id,
 * res: { ... } }`) posted by this thread in bursts of 100 (so the receiving thread takes
 * many per wake-up and the figure is the dispatch, not the wake-up), with its listener
 * attached as `port.on('message')` (Node's EventTarget emulation, `kHybridDispatch`),
 * `port.onmessage = ...` (an event handler: a `MessageEvent` made per message), or
 * `port.addEventListener('message')`, or `drain`: `port.on('message')` whose listener then takes
 * the messages already queued with `receiveMessageOnPort` (no event per message). The receiving thread's own CPU comes from
 * `/proc/thread-self/schedstat` (Linux). Modes alternate, `rounds` times, each in a
 * fresh worker.
 */
import { MessageChannel, Worker } from 'node:worker_threads';

type Mode = 'on' | 'drain' | 'onmessage' | 'addEventListener';

/** The receiving worker, as plain JavaScript (a worker's code is not run through tsx). */
const WORKER = `
const { readFileSync } = require('node:fs');
const { parentPort, workerData, receiveMessageOnPort } = require('node:worker_threads');
const threadCpuNs = () => Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);
const { port, mode, messages } = workerData;
let seen = 0, start = 0, sum = 0;
const take = (m) => {
  if (seen === 0) start = threadCpuNs();
  sum += m.res.x;
  if (++seen === messages) parentPort.postMessage({ ns: threadCpuNs() - start, sum });
  else if (seen % 100 === 0) port.postMessage('more');
};
if (mode === 'on') port.on('message', take);
else if (mode === 'drain') port.on('message', (m) => { take(m); for (let r; seen < messages && (r = receiveMessageOnPort(port)) !== undefined; ) take(r.message); });
else if (mode === 'onmessage') port.onmessage = (e) => take(e.data);
else { port.addEventListener('message', (e) => take(e.data)); port.start(); }
parentPort.postMessage('ready');
`;

{
  const MESSAGES = Number(process.argv[2] ?? 200_000);
  const ROUNDS = Number(process.argv[3] ?? 3);
  const once = (mode: Mode): Promise<number> =>
    new Promise((resolve, reject) => {
      const { port1, port2 } = new MessageChannel();
      const w = new Worker(WORKER, { eval: true, workerData: { port: port2, mode, messages: MESSAGES }, transferList: [port2] });
      let sent = 0;
      const burst = (): void => {
        for (let i = 0; i < 100 && sent < MESSAGES; i++, sent++) port1.postMessage({ t: 'res', id: sent, res: { apiKey: 0, x: 1, responses: [] } });
      };
      port1.on('message', burst);
      w.on('message', (m: unknown) => {
        if (m === 'ready') return burst();
        void w.terminate();
        port1.close();
        resolve((m as { ns: number }).ns / MESSAGES);
      });
      w.on('error', reject);
    });
  const modes: Mode[] = ['on', 'drain', 'onmessage', 'addEventListener'];
  const out: Record<string, number[]> = { on: [], drain: [], onmessage: [], addEventListener: [] };
  for (let r = 0; r < ROUNDS; r++) for (const m of modes) out[m]!.push(await once(m));
  for (const m of modes) console.log(`${m.padEnd(17)} ns a message received: ${out[m]!.map((x) => x.toFixed(0)).join(' ')}`);
}
