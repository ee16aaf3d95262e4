// The Produce path's message cost alone, session 12 (bench/results/2026-12-07k-lane.md): one
// thread, a real MessageChannel, both ends counted in this process's CPU. `port`: PortTransport
// and a trusted PortServer, the Produce requests laid out (transport/port/produce-layout.ts).
// `lane`: the session 11 Produce lane (ProduceLane and ProduceLaneServer), for a checkout from before
// session 12. Run: npx tsx bench/port-produce-cost.mts <repo root> port|lane
import { MessageChannel } from 'node:worker_threads';
const root = process.argv[2]!;
const side = process.argv[3]!;
const { encodeBatchUncompressed } = await import(`${root}/src/record/batch.ts`);
const { markChecksummedHere } = await import(`${root}/src/record/checksummed-here.ts`);
const { silentLogger } = await import(`${root}/src/util/logger.ts`);
const RECORDS = 160; // a 16 KiB batch of 100-byte records
const batch = () => { const b = encodeBatchUncompressed(Array.from({ length: RECORDS }, (_, i) => ({ value: Buffer.alloc(100, i) })), { now: 1 }); markChecksummedHere(b); return b; };
const batches = [0, 1, 2, 3].map(batch);
const req = (p: number) => ({ apiKey: 0, acks: -1, timeoutMs: 30000, topicData: [{ name: 'rf3', partitionData: [{ index: p, records: batches[p] }] }] });
const ok = (r: any) => ({ apiKey: 0, responses: r.topicData.map((t: any) => ({ name: t.name, partitionResponses: t.partitionData.map((p: any) => ({ index: p.index, errorCode: 'NONE', baseOffset: 5, logAppendTimeMs: -1, logStartOffset: 0 })) })), throttleTimeMs: 0 });
const { port1, port2 } = new MessageChannel();
let send: (r: any) => Promise<unknown>;
if (side === 'lane') {
  const { ProduceLane } = await import(`${root}/src/cluster/produce-lane.ts`);
  const { ProduceLaneServer } = await import(`${root}/src/node/produce-lane-server.ts`);
  new ProduceLaneServer(port2, (r: any) => Promise.resolve(ok(r)), silentLogger);
  const lane = new ProduceLane(port1, 1);
  send = (r) => lane.send(r, undefined);
} else {
  const { PortServer } = await import(`${root}/src/transport/port/port-server.ts`);
  const { PortTransport } = await import(`${root}/src/transport/port/port-transport.ts`);
  new PortServer(port2, () => ({ handle: (r: any) => Promise.resolve(ok(r)) }), silentLogger, () => {}, true);
  const t = new PortTransport(port1, [1], 'run', { clientId: 'consumer', clientHost: 'inline' });
  await t.ready;
  send = (r) => t.sendAs(1, r, undefined);
}
const ROUNDS = 20000;
for (let i = 0; i < 1000; i++) await Promise.all([0, 1, 2, 3].map((p) => send(req(p))));
const t0 = process.cpuUsage();
for (let i = 0; i < ROUNDS; i++) await Promise.all([0, 1, 2, 3].map((p) => send(req(p))));
const t = process.cpuUsage(t0);
const us = t.user + t.system;
console.log(JSON.stringify({ side, usPerRequest: +(us / (ROUNDS * 4)).toFixed(2), nsPerRecord: +((us * 1000) / (ROUNDS * 4 * RECORDS)).toFixed(1) }));
process.exit(0);
