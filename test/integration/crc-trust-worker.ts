/**
 * A producer in a worker thread for crc-trust-boundary.test.ts: sends the records it is
 * told to through the cluster handle (the request crosses a MessagePort), then says so.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { connectHandle, type ClusterHandle } from '../../src/index.js';

const data = workerData as { handle: ClusterHandle; topic: string; records: number; bytes: number };
const remote = await connectHandle(data.handle, { clientId: 'crc-trust-worker' });
const producer = remote.producer({ acks: 1, lingerMs: 0 });
const records = Array.from({ length: data.records }, (_, i) => ({ value: Buffer.alloc(data.bytes, i) }));
const metas = await producer.send(data.topic, records);
await remote.close();
parentPort!.postMessage({ offsets: metas.map((m) => m.offset) });
