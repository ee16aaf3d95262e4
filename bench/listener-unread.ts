/**
 * What a client that pipelines Fetch requests and never reads its answers costs the
 * broker: `tsx bench/listener-unread.ts <after|before> [requests]`. Prints one JSON line.
 *
 * A 1-node cluster with a listener, a topic of 8 MiB (8,000 records of 1,000 bytes), then
 * one raw connection that writes `requests` Fetch v11 requests (1 MiB each, from offset 0:
 * every answer is 1 MiB) in one write and reads nothing. After the broker has settled (the
 * buffers held stop changing for 3 s, or 60 s), it reports the process's `arrayBuffers`
 * (where the encoded answers wait) and RSS, above the figures before the connection.
 *
 * `before` puts back the connection's take loop as it was before session 13 (it took
 * requests from its inbox while its queue had room, whether or not the client read its
 * answers), so both sides run the same code on the same data in fresh processes.
 */
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { Cluster } from '../src/cluster.js';
import { Connection } from '../src/transport/tcp/connection.js';
import { requestMessage, sized } from '../test/wire/helpers/raw-client.js';

const mode = process.argv[2] === 'before' ? 'before' : 'after';
const requests = Number(process.argv[3] ?? 2000);

if (mode === 'before') {
  // The loop of take() before the fix: no check of the socket's write buffer.
  type Internals = { taking: boolean; closed: boolean; inbox: Uint8Array[]; slots: unknown[]; settings: { queuedMaxRequests: number }; closeReason: string | undefined; enqueueClose(why: string): void; onMessage(m: Uint8Array): void; updateFlow(): void };
  (Connection.prototype as unknown as { take(this: Internals): void }).take = function take(this: Internals): void {
    if (this.taking) return;
    this.taking = true;
    try {
      while (!this.closed && this.inbox.length > 0 && this.slots.length < this.settings.queuedMaxRequests) {
        const message = this.inbox.shift()!;
        if (message.length === 0 && this.closeReason !== undefined) this.enqueueClose(this.closeReason);
        else this.onMessage(message);
      }
    } finally {
      this.taking = false;
    }
    this.updateFlow();
  };
}

const require = createRequire(import.meta.url);
const fetchV11 = require('kafkajs/src/protocol/requests/fetch/v11/request') as (o: Record<string, unknown>) => { encode(): Promise<{ buffer: Buffer }> };

const mib = (n: number): number => Math.round((n / 2 ** 20) * 10) / 10;
const cluster = await Cluster.start({ nodes: 1, listen: { port: 0 } });
await cluster.admin().createTopics([{ name: 't' }]);
const producer = cluster.producer();
const value = Buffer.alloc(1000, 7);
for (let b = 0; b < 8; b++) await producer.send('t', Array.from({ length: 1000 }, () => ({ value })));
const request = await fetchV11({ replicaId: -1, maxWaitTime: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, topics: [{ topic: 't', partitions: [{ partition: 0, fetchOffset: '0', currentLeaderEpoch: -1, maxBytes: 1 << 20 }] }], rackId: '' }).encode();
const frames = Buffer.concat(Array.from({ length: requests }, (_, i) => sized(requestMessage(1, 11, i + 1, request.buffer))));
globalThis.gc?.();
const base = process.memoryUsage();
const cpu0 = process.cpuUsage();
const socket = connect(Number(cluster.bootstrapServers.split(':')[1]), '127.0.0.1');
await new Promise((r) => socket.once('connect', r));
socket.pause();
socket.write(frames);
let last = -1;
let stableSince = performance.now();
const started = performance.now();
for (;;) {
  await new Promise((r) => setTimeout(r, 250));
  const now = process.memoryUsage().arrayBuffers;
  if (now !== last) {
    last = now;
    stableSince = performance.now();
  }
  if (performance.now() - stableSince > 3000 || performance.now() - started > 60_000) break;
}
const m = process.memoryUsage();
const cpu = process.cpuUsage(cpu0);
console.log(JSON.stringify({ mode, requests, requestBytes: frames.length, arrayBuffersMiB: mib(m.arrayBuffers - base.arrayBuffers), rssMiB: mib(m.rss - base.rss), cpuMs: Math.round((cpu.user + cpu.system) / 1000), load: (await import('node:os')).loadavg().map((l) => Math.round(l * 100) / 100) }));
socket.destroy();
await cluster.close();
process.exit(0);
