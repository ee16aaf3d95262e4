/**
 * A/B of the leader's per-produce timestamp check (`timestampProblem` in
 * `src/broker/produce-batch-checks.ts`) of two source trees, under Kafka 4.0's default
 * topic configs (CreateTime, `message.timestamp.before.max.ms` unbounded, `after.max.ms`
 * one hour): `npx tsx bench/timestamp-check-ab.ts <base-tree> <new-tree>` (each a checkout
 * with node_modules). Session s12 made the check read every record's timestamp (Kafka's
 * `LogValidator` does) where it trusted the header's max timestamp before; this measures
 * what that costs a record. Both trees' modules in one process, timed in turns (7 rounds),
 * CPU time per record, the same batches both sides: 100 records of 100 bytes, uncompressed
 * and lz4 (the compressed one is decompressed for the walk).
 */
async function load(root: string) {
  return { checks: await import(`${root}/src/broker/produce-batch-checks.ts`) };
}
const A = await load(process.argv[2]!);
const B = await load(process.argv[3]!);
const { encodeBatch } = await import('../src/record/codecs/index.js');
const { readBatchHeader } = await import('../src/record/batch.js');
const now = Date.now();
const value = Buffer.alloc(100, 7);
const records = Array.from({ length: 100 }, (_, i) => ({ key: Buffer.from(`key-${i}`), value, timestamp: now - 100 + i }));
const rules = { messageTimestampType: 'CreateTime', messageTimestampBeforeMaxMs: Number.MAX_SAFE_INTEGER, messageTimestampAfterMaxMs: 3_600_000 };
const cases: [string, Buffer][] = [
  ['none, 100 x 100 B', await encodeBatch(records, { now })],
  ['lz4, 100 x 100 B', await encodeBatch(records, { now, compression: 'lz4' })],
  ['zstd, 100 x 100 B', await encodeBatch(records, { now, compression: 'zstd' })],
];
const perRecordNs = (m: typeof A, bytes: Buffer, n: number): number => {
  const batch = { position: 0, size: bytes.length, header: readBatchHeader(bytes) };
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) if (m.checks.timestampProblem(batch, bytes, now, rules) !== undefined) throw new Error('refused');
  const used = process.cpuUsage(start);
  return ((used.user + used.system) * 1000) / (n * 100);
};
for (const [name, bytes] of cases) {
  const n = 20_000;
  perRecordNs(A, bytes, n / 10);
  perRecordNs(B, bytes, n / 10);
  const a: number[] = [];
  const b: number[] = [];
  for (let round = 0; round < 7; round++) {
    a.push(perRecordNs(A, bytes, n));
    b.push(perRecordNs(B, bytes, n));
  }
  const median = (x: number[]) => [...x].sort((p, q) => p - q)[3]!.toFixed(1);
  console.log(`${name} (${bytes.length} bytes): base ${a.map((x) => x.toFixed(1)).join(' ')} | new ${b.map((x) => x.toFixed(1)).join(' ')} | medians ${median(a)} / ${median(b)} ns a record`);
}
