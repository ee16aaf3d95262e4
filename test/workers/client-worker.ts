/**
 * A worker thread for the worker tests: connects the cluster handle it was given and plays
 * one role. Started through client-worker.mjs, which registers tsx (a Worker does not go through vitest's
 * transform).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { connectHandle, type ClusterHandle } from '../../src/index.js';

interface ProduceRole {
  role: 'produce';
  handle: ClusterHandle;
  topic: string;
  keys: string[];
  rounds: number;
}
interface ConsumeRole {
  role: 'consume' | 'produce-and-consume';
  handle: ClusterHandle;
  topic: string;
  groupId: string;
  sessionTimeoutMs?: number;
}
type Role = ProduceRole | ConsumeRole;

const data = workerData as Role;
const port = parentPort!;
const remote = await connectHandle(data.handle, { clientId: `worker-${data.role}` });

if (data.role === 'produce') {
  const producer = remote.producer({ acks: 'all', idempotent: true, lingerMs: 2 });
  for (let round = 0; round < data.rounds; round++) {
    // One call of a record per key: the producer batches them; the call resolves once all are acknowledged.
    const records = data.keys.map((key) => ({ key, value: String(round) }));
    try {
      const metas = await producer.send(data.topic, records);
      port.postMessage({ t: 'acked', records: metas.map((m, i) => ({ key: records[i]!.key, value: records[i]!.value, partition: m.partition, offset: m.offset })) });
    } catch (err) {
      // Not acknowledged: the test owes nothing for these records (they may still be in the log).
      port.postMessage({ t: 'unacked', code: (err as { code?: string }).code ?? String(err) });
    }
  }
  await remote.close();
  port.postMessage({ t: 'done' });
} else {
  // A long session: on a loaded machine a worker's heartbeats can be late for seconds, and
  // no member here is killed (the test that terminates one passes its own session).
  const group = remote.consumerGroup({ groupId: data.groupId, topics: [data.topic], autoOffsetReset: 'earliest', sessionTimeoutMs: data.sessionTimeoutMs ?? 30_000 });
  group.on('assigned', (parts) => port.postMessage({ t: 'assigned', generation: group.generationId, partitions: parts.map((p) => p.partition) }));
  port.on('message', (m: { t: string }) => {
    if (m.t === 'stop') void remote.close().then(() => port.postMessage({ t: 'stopped' }));
  });
  if (data.role === 'produce-and-consume') {
    const producer = remote.producer({ acks: 'all' });
    await producer.send(data.topic, [{ key: 'held', value: 'by a worker about to be terminated' }]);
  }
  port.postMessage({ t: 'ready' });
  await group
    .run({
      eachRecord: (r) => {
        port.postMessage({ t: 'record', key: r.key === null ? null : Buffer.from(r.key as Uint8Array).toString(), value: Buffer.from(r.value as Uint8Array).toString(), partition: r.partition, offset: r.offset });
      },
    })
    .catch((err: unknown) => port.postMessage({ t: 'error', code: (err as { code?: string }).code ?? String(err) }));
}
