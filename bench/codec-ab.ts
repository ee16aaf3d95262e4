/**
 * Same-process A/B of the byte codecs (`ByteReader`/`ByteWriter` and their callers) of two
 * source trees: `npx tsx bench/codec-ab.ts <base-tree> <new-tree>` (each a checkout of this
 * repository with node_modules). Both trees' modules are loaded into one process and timed
 * in turns, 7 rounds each, in CPU time per operation, so the load of a shared machine
 * affects both alike; wall-clock benchmarks on the same machine swing by 2x between runs.
 * Used for issue 14's byte reader (docs/design/layers.md, point 18).
 */
async function load(root: string) {
  return {
    batch: await import(`${root}/src/record/batch.ts`),
    records: await import(`${root}/src/metadata/records.ts`),
    group: await import(`${root}/src/broker/core/group-records.ts`),
    codec: await import(`${root}/src/protocol/wire/codec.ts`),
    cp: await import(`${root}/src/client/consumer-protocol.ts`),
  };
}
const A = await load(process.argv[2]!);
const B = await load(process.argv[3]!);
const value = new Uint8Array(100).fill(7);
const recs = Array.from({ length: 1000 }, (_, i) => ({ key: null, value, headers: i % 10 === 0 ? [{ key: 'h', value }] : [] }));
const b = A.batch.encodeBatchUncompressed(recs, { now: 1 });
const parts: any[] = [];
for (let i = 0; i < 20000; i++) parts.push({ apiKey: 3, topicId: 'AAAAAAAAAAAAAAAAAAAAAQ', partitionId: i, replicas: [1, 2, 3], isr: [1, 2, 3], leader: 1, leaderEpoch: 0, partitionEpoch: 0, eligibleLeaderReplicas: null, lastKnownElr: null });
const meta = A.records.encodeMetadataRecords(parts);
const rec = { type: 'OffsetCommit', key: { group: 'group-1', topic: 'topic', partition: 3 }, value: { offset: 100, leaderEpoch: 2, metadata: '', commitTimestamp: 5, expireTimestamp: null } };
const gk = A.group.encodeGroupRecordKey(rec);
const gv = A.group.encodeGroupRecordValue(rec);
const produce = A.codec.encodeRequest({ apiKey: 0, transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: 't', partitionData: [{ index: 0, records: b }] }] }, { apiVersion: 9, correlationId: 1, clientId: 'x' }).subarray(4);
const records = new Uint8Array(1 << 20).fill(1);
const fetchReq = A.codec.encodeRequest({ apiKey: 1, replicaId: -1, maxWaitMs: 500, minBytes: 1, maxBytes: 52428800, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: 'topic-name', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 1000, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1048576 }] }], forgottenTopicsData: [], rackId: '' }, { apiVersion: 11, correlationId: 7, clientId: 'rdkafka' }).subarray(4);
const fetchResponse = { apiKey: 1, errorCode: 'NONE', sessionId: 0, throttleTimeMs: 0, responses: [{ topic: 'topic-name', partitions: [{ partitionIndex: 0, errorCode: 'NONE', highWatermark: 100000, lastStableOffset: 100000, logStartOffset: 0, abortedTransactions: null, preferredReadReplica: -1, records }] }] };
const cases: [string, number, (m: typeof A) => unknown][] = [
  ['decode a Fetch request v11', 100000, (m) => m.codec.decodeRequest(fetchReq)],
  ['encode a Fetch response v11 in chunks', 100000, (m) => m.codec.encodeResponseChunks(fetchResponse, { apiVersion: 11, correlationId: 7 })],
  ['decode a batch of 1000 records', 1000, (m) => m.batch.decodeUncompressedBatch(b)],
  ['decode 20000 Partition records', 10, (m) => m.records.decodeMetadataRecords(meta)],
  ['encode 20000 Partition records', 10, (m) => m.records.encodeMetadataRecords(parts)],
  ['decode an OffsetCommit record', 100000, (m) => m.group.decodeGroupRecord(gk, gv)],
  ['decode a Produce request', 50000, (m) => m.codec.decodeRequest(produce)],
  ['encode a Produce request', 50000, (m) => m.codec.encodeRequest({ apiKey: 0, transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: 'topic-name', partitionData: [{ index: 0, records: b }] }] }, { apiVersion: 9, correlationId: 1, clientId: 'client-1' })],
  ['encode a Metadata request for 20 topics', 50000, (m) => m.codec.encodeRequest({ apiKey: 3, topics: Array.from({ length: 20 }, (_, i) => ({ name: 'topic-' + i })), allowAutoTopicCreation: false }, { apiVersion: 12, correlationId: 1, clientId: 'client-1' })],
  ['encode+decode a subscription', 50000, (m) => m.cp.decodeSubscription(m.cp.encodeSubscription({ topics: ['a', 'b', 'c'], userData: null, ownedPartitions: [], generationId: 3, rackId: null }))],
];
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) * 1000; };
for (const [name, n, f] of cases) {
  const res: Record<string, number[]> = { base: [], new: [] };
  for (let w = 0; w < 2; w++) for (let i = 0; i < n; i++) { f(A); f(B); }
  for (let round = 0; round < 7; round++) {
    for (const [label, m] of [['base', A], ['new', B]] as const) {
      const t0 = cpu();
      for (let i = 0; i < n; i++) f(m);
      res[label]!.push((cpu() - t0) / n);
    }
  }
  const s = (xs: number[]) => { xs.sort((a, b) => a - b); return `min ${xs[0]!.toFixed(0)} median ${xs[3]!.toFixed(0)} ns`; };
  console.log(`${name}: base ${s(res.base!)}; new ${s(res.new!)}`);
}
