/**
 * Records the requests of the ACL and partition reassignment APIs as two independent
 * clients write them, as fixtures for test/wire/captured-frames.test.ts and seeds for the
 * wire fuzzer (test/fuzz/wire.ts): `npx tsx test/wire/capture-admin.ts`.
 *
 * - librdkafka 2.0.2 (its C Admin API through ctypes, `py/rdkafka_admin.py`):
 *   DescribeAcls, CreateAcls and DeleteAcls v1;
 * - KafkaJS 2.2.4's admin: the same three at v1, and AlterPartitionReassignments and
 *   ListPartitionReassignments v0 (flexible), which librdkafka 2.0.2 does not have.
 *
 * Only requests are kept (the responses are Tributary's own), in
 * test/fixtures/wire/captured/admin-clients/, one file per API, version and writer.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
import { capturedDir, type ManifestEntry } from './capture.js';
import { apiNames } from './helpers/api-names.js';
import { runPython } from './helpers/clients.js';
import { startWireCluster } from './helpers/cluster.js';
import { RecordingProxy, parseServers, type CapturedFrame } from './helpers/recording-proxy.js';

const keys = new Set([29, 30, 31, 45, 46]);
const cluster = await startWireCluster({ nodes: 1 });
const proxy = await RecordingProxy.start(parseServers(cluster.bootstrapServers));
const tagged: { frame: CapturedFrame; writer: string; tag: string }[] = [];
let seen = 0;
const take = async (writer: string, tag: string, body: () => Promise<unknown>): Promise<void> => {
  await body().catch(() => undefined);
  await new Promise((r) => setTimeout(r, 300));
  for (; seen < proxy.frames.length; seen++) tagged.push({ frame: proxy.frames[seen]!, writer, tag });
};

const anyFilter = [1, null, 1, null, null, 1, 1];
const readOrders = [2, 'orders', 3, 'User:alice', '*', 3, 3];
await take('librdkafka 2.0.2 client (Admin API via ctypes)', 'librdkafka', () =>
  runPython('rdkafka_admin.py', [proxy.bootstrapServers, JSON.stringify([{ op: 'describe_acls', acl: anyFilter }, { op: 'create_acls', acls: [readOrders] }, { op: 'delete_acls', filters: [anyFilter] }])], { timeoutMs: 120_000 }),
);
const kafka = new Kafka({ clientId: 'capture-admin', brokers: [proxy.bootstrapServers], logLevel: logLevel.NOTHING, retry: { retries: 2 } });
const admin = kafka.admin();
await take('KafkaJS 2.2.4 admin', 'kafkajs', async () => {
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 2 }], waitForLeaders: true });
  await admin.describeAcls({ resourceType: 2, resourceName: 'orders', resourcePatternType: 3, principal: 'User:alice', host: '*', operation: 3, permissionType: 3 } as never).catch(() => undefined);
  await admin.createAcls({ acl: [{ resourceType: 2, resourceName: 'orders', resourcePatternType: 4, principal: 'User:bob', host: '*', operation: 4, permissionType: 2 }] as never }).catch(() => undefined);
  await admin.deleteAcls({ filters: [{ resourceType: 1, resourcePatternType: 1, operation: 1, permissionType: 1 }] as never }).catch(() => undefined);
  await admin.listPartitionReassignments({ topics: [{ topic: 'orders', partitions: [0, 1] }] });
  await admin.alterPartitionReassignments({ topics: [{ topic: 'orders', partitionAssignment: [{ partition: 0, replicas: [1] }, { partition: 1, replicas: [2] }] }] }).catch(() => undefined);
  await admin.disconnect();
});
await proxy.close();
await cluster.close();

const dir = `${capturedDir}admin-clients/`;
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const manifest: ManifestEntry[] = [];
const kept = new Set<string>();
for (const { frame, writer, tag } of tagged) {
  if (frame.direction !== 'request' || !keys.has(frame.apiKey)) continue;
  const name = apiNames[frame.apiKey]!;
  const file = `${name}-v${frame.apiVersion}-request-${tag}.bin`;
  if (kept.has(file)) continue;
  kept.add(file);
  writeFileSync(dir + file, frame.message);
  manifest.push({ file, direction: 'request', apiKey: frame.apiKey, apiName: name, apiVersion: frame.apiVersion, writer, scenario: `${tag}-admin`, bytes: frame.message.length });
}
manifest.sort((x, y) => x.apiKey - y.apiKey || x.apiVersion - y.apiVersion || x.file.localeCompare(y.file));
writeFileSync(`${dir}manifest.json`, `${JSON.stringify(manifest, null, 2)}\n`);
process.stderr.write(`kept ${manifest.length} frames in ${dir}\n`);
