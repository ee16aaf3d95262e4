/**
 * A follower in its leader's thread takes the leader's in-memory tail without a CRC pass
 * (the leader checked those bytes in this thread: storage/append-tail.ts); bytes from a
 * leader in another thread or process must still be checked. Here the leader's real
 * answer crosses a real worker thread and a real TCP socket on 127.0.0.1, and is damaged
 * on the way: the follower refuses it (CORRUPT_MESSAGE, nothing appended) and takes the
 * undamaged copy that crossed the same way.
 */
import { createServer, connect as tcpConnect, type AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import type { PartitionFetchResponse } from '../../src/broker/partition.js';
import { encodeBatchUncompressed } from '../../src/record/batch.js';
import { checksummedHere } from '../../src/record/checksummed-here.js';
import { replicaPair } from '../helpers/replica-pair.js';
import { useTempDirs } from '../helpers/temp-dirs.js';

const tempDir = useTempDirs('tributary-follower-crc-');

/** Sends `bytes` to a worker thread and back; the worker flips the last byte when asked (damage on the way). */
async function throughWorker(bytes: Uint8Array, damage: boolean): Promise<Uint8Array> {
  const w = new Worker(
    `const { parentPort } = require('node:worker_threads');
     parentPort.once('message', ({ bytes, damage }) => { if (damage) bytes[bytes.length - 1] ^= 0xff; parentPort.postMessage(bytes); });`,
    { eval: true },
  );
  try {
    w.postMessage({ bytes, damage });
    return await new Promise<Uint8Array>((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    });
  } finally {
    await w.terminate();
  }
}

/** Sends `bytes` through a TCP echo on 127.0.0.1; the echo flips the last byte when asked. */
async function throughSocket(bytes: Uint8Array, damage: boolean): Promise<Uint8Array> {
  const server = createServer((s) => {
    const got: Buffer[] = [];
    let n = 0;
    s.on('data', (d: Buffer) => {
      got.push(d);
      n += d.length;
      if (n < bytes.length) return;
      const all = Buffer.concat(got);
      if (damage) all[all.length - 1] = all[all.length - 1]! ^ 0xff;
      s.end(all);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const c = tcpConnect(port, '127.0.0.1');
    const parts: Buffer[] = [];
    c.on('data', (d: Buffer) => parts.push(d));
    c.end(bytes);
    await new Promise<void>((resolve, reject) => {
      c.once('close', () => resolve());
      c.once('error', reject);
    });
    return Buffer.concat(parts);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describe('a follower checks the CRC of bytes that crossed a thread or a socket', () => {
  it.each([
    ['a worker thread', throughWorker],
    ['a TCP socket', throughSocket],
  ] as const)('damaged on the way through %s: CORRUPT_MESSAGE and nothing appended; the undamaged copy is appended', async (_, cross) => {
    const { leader, follower } = await replicaPair(tempDir);
    const [leaderLog, followerLog] = [leader.log, follower.log];
    const batch = encodeBatchUncompressed(Array.from({ length: 20 }, (_, i) => ({ value: Buffer.alloc(500, i) })), { now: 1000 });
    expect(leader.appendAsLeader(batch, { acks: 1 }, 0).errorCode).toBe('NONE');

    const req = follower.followerFetchRequest()!;
    const { response } = leader.fetchAsLeader(req, 1);
    // From the tail: the bytes carry the mark of a CRC checked in this thread; what crosses loses it.
    expect(checksummedHere(response.records)).toBe(true);
    const damaged = await cross(response.records, true);
    expect(checksummedHere(damaged)).toBe(false);
    const refused = follower.appendAsFollower(req, { ...response, records: damaged } satisfies PartitionFetchResponse);
    expect(refused.errorCode).toBe('CORRUPT_MESSAGE');
    expect(follower.logEndOffset).toBe(0);

    const intact = await cross(response.records, false);
    expect(follower.appendAsFollower(req, { ...response, records: intact }).appended?.recordCount).toBe(20);
    expect(follower.logEndOffset).toBe(20);
    expect(Buffer.from(followerLog.read(0).records).equals(Buffer.from(leaderLog.read(0).records))).toBe(true);
    await leaderLog.close();
    await followerLog.close();
  });
});
