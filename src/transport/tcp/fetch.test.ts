/**
 * Fetch over the wire sends the log's batches as they are stored: a gzip batch written by
 * the in-process producer arrives byte for byte (still compressed, never decoded or
 * re-encoded), at Fetch v4 and at the flexible v12.
 */
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../cluster.js';
import { ApiKey } from '../../protocol/api-keys.js';
import { decodeResponse, encodeRequest } from '../../protocol/wire/codec.js';

function roundTrip(port: number, frame: Uint8Array): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let buffered = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no answer'));
    }, 30_000);
    socket.on('data', (d) => {
      buffered = Buffer.concat([buffered, d]);
      if (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
        clearTimeout(timer);
        socket.destroy();
        resolve(buffered.subarray(4, 4 + buffered.readInt32BE(0)));
      }
    });
    socket.on('error', reject);
    socket.write(frame);
  });
}

describe('Fetch over the wire', () => {
  it('sends the stored batches byte for byte', async () => {
    await using cluster = await Cluster.start({ nodes: 1, listen: {} });
    await cluster.admin().createTopics([{ name: 'zc', partitions: 1 }]);
    const producer = cluster.producer({ compression: 'gzip', lingerMs: 5 });
    await producer.send('zc', Array.from({ length: 500 }, (_, i) => ({ key: `k${i}`, value: `value-${i}-${'x'.repeat(50)}` })));
    await producer.close();
    const replica = cluster.node(1)!.broker.replica('zc', 0)!;
    const stored = replica.log.read(0, { maxOffset: replica.highWatermark, maxBytes: 10 * 1024 * 1024 }).records;
    expect(stored.length).toBeGreaterThan(0);
    expect(stored[22]! & 0x07).toBe(1); // attributes (int16 at 21), low bits: gzip
    const port = Number(cluster.bootstrapServers.split(':')[1]);
    for (const apiVersion of [4, 11, 12]) {
      const request = {
        apiKey: ApiKey.Fetch,
        replicaId: -1,
        maxWaitMs: 100,
        minBytes: 1,
        maxBytes: 10 * 1024 * 1024,
        isolationLevel: 0,
        topics: [{ topic: 'zc', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 10 * 1024 * 1024 }] }],
      } as const;
      const answer = await roundTrip(port, encodeRequest(request, { apiVersion, correlationId: apiVersion, clientId: 'zc' }));
      const { correlationId, response } = decodeResponse(ApiKey.Fetch, apiVersion, answer);
      expect(correlationId).toBe(apiVersion);
      const p = response.responses[0]!.partitions[0]!;
      expect(p.errorCode).toBe('NONE');
      expect(p.highWatermark).toBe(500);
      expect(Buffer.from(p.records!).equals(Buffer.from(stored))).toBe(true);
    }
  }, 60_000);
});
