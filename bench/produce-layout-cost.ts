import { writeRequests, readRequests, writeAnswers, type LaidRequest } from '../src/transport/port/produce-layout.js';
import { SpareBuffers } from '../src/transport/port/messages.js';
const batch = () => new Uint8Array(16 * 1024 + 500).fill(7);
const items: LaidRequest[] = [0, 1, 2].map((i) => ({ id: i + 1, node: 1, checked: true, context: undefined, request: { apiKey: 0, acks: -1, timeoutMs: 30000, topicData: [{ name: 'rf3', partitionData: [{ index: 0, records: batch() }] }] } }));
const spare = new SpareBuffers();
const N = 20000;
for (const pass of [0, 1, 2]) {
  let t0 = process.cpuUsage();
  for (let i = 0; i < N; i++) { const { buffer } = writeRequests(items, (n) => spare.take(n)); spare.put(buffer); }
  let t = process.cpuUsage(t0);
  const w = (t.user + t.system) / N;
  const { buffer } = writeRequests(items, (n) => new ArrayBuffer(n));
  t0 = process.cpuUsage();
  for (let i = 0; i < N; i++) readRequests(buffer);
  t = process.cpuUsage(t0);
  const r = (t.user + t.system) / N;
  const ans = items.map((it) => ({ id: it.id, response: { apiKey: 0 as const, responses: [{ name: 'rf3', partitionResponses: [{ index: 0, errorCode: 'NONE' as const, baseOffset: 5, logAppendTimeMs: -1, logStartOffset: 0 }] }], throttleTimeMs: 0 } }));
  t0 = process.cpuUsage();
  for (let i = 0; i < N; i++) writeAnswers(ans);
  t = process.cpuUsage(t0);
  const a = (t.user + t.system) / N;
  // the copy alone
  const dst = new Uint8Array(128 * 1024); const srcs = items.map((x) => x.request.topicData[0]!.partitionData[0]!.records!);
  t0 = process.cpuUsage();
  for (let i = 0; i < N; i++) { let at = 0; for (const s of srcs) { dst.set(s, at); at += s.length; } }
  t = process.cpuUsage(t0);
  const c = (t.user + t.system) / N;
  console.log(`pass ${pass}: write ${w.toFixed(2)} us (copy alone ${c.toFixed(2)} us), read ${r.toFixed(2)} us, write 3 answers ${a.toFixed(2)} us; a message of 3 x 16.9 KB batches = ~510 records`);
}
