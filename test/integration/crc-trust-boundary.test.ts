/**
 * The leader checks a produced batch's CRC where the bytes cross a trust boundary, and
 * only there (issue 13, items 4 and 5). A batch a `Producer` in this thread checksummed
 * and handed to a broker in this thread (the in-process transport) is not checksummed
 * again; the same producer's batch sent over TCP, a batch from a producer in a worker
 * thread, and bytes that were not checksummed here are. CRC-32C is wrapped and every
 * pass over at least a batch's record bytes in this thread is counted (the worker's own
 * passes run in its thread and are not).
 */
import { Worker } from 'node:worker_threads';
import { describe, expect, it, vi } from 'vitest';

vi.mock('../../src/util/crc32c.js', async (original) => (await import('../helpers/crc-count.js')).countingCrc32c(await original()));

const { crcPasses: passes } = await import('../helpers/crc-count.js');

const { Cluster } = await import('../../src/cluster.js');
const { connect } = await import('../../src/connect.js');
const { TcpClientTransport } = await import('../../src/transport/tcp/client.js');
const { ApiKey } = await import('../../src/protocol/api-keys.js');
const { encodeBatchUncompressed } = await import('../../src/record/batch.js');

const recordCount = 10;
const recordBytes = 1000;
/** Ten records of 1,000 bytes: one batch under the default 16 KiB batch.size; the warm-up and metadata traffic are far smaller. */
const records = (): { value: Buffer }[] => Array.from({ length: recordCount }, (_, i) => ({ value: Buffer.alloc(recordBytes, i) }));

/** Passes over the batch's bytes in this thread while `run` runs. */
async function countPasses(run: () => Promise<unknown>): Promise<number> {
  passes.minBytes = recordCount * recordBytes;
  passes.count = 0;
  try {
    await run();
    return passes.count;
  } finally {
    passes.minBytes = Number.POSITIVE_INFINITY;
  }
}

describe('the leader checks a produced batch’s CRC where the bytes cross a trust boundary', () => {
  it('in-process producer: its own pass only; over TCP and from a worker: the leader checks too; bytes with a bad CRC are refused over TCP', async () => {
    await using cluster = await Cluster.start({ nodes: 1, listen: { port: 0 } });
    await cluster.admin().createTopics([{ name: 'trust', partitions: 1 }]);

    // In this thread, through the in-process transport: the producer's pass, none on the leader.
    const inline = cluster.producer({ acks: 1, lingerMs: 0 });
    await inline.send('trust', { value: 'warm' });
    const inProcess = await countPasses(() => inline.send('trust', records()));
    await inline.close();

    // The same kind of producer over TCP, in this thread: its pass, and the leader's on the bytes the listener read.
    await using remote = connect({ bootstrapServers: cluster.bootstrapServers });
    const overTcp = remote.producer({ acks: 1, lingerMs: 0 });
    await overTcp.send('trust', { value: 'warm' });
    const tcp = await countPasses(() => overTcp.send('trust', records()));
    await overTcp.close();

    // A producer in a worker thread: its pass runs there; the leader here checks the bytes that crossed the port.
    const fromWorker = await countPasses(async () => {
      const handle = cluster.createHandle();
      const w = new Worker(new URL('./crc-trust-worker.mjs', import.meta.url), { workerData: { handle, topic: 'trust', records: recordCount, bytes: recordBytes }, transferList: [handle.port] });
      const answer = await new Promise<{ offsets: number[] }>((resolve, reject) => {
        w.once('message', resolve);
        w.once('error', reject);
        w.once('exit', (code) => reject(new Error(`the worker exited (${code}) without an answer`)));
      });
      expect(answer.offsets).toHaveLength(recordCount);
      expect(answer.offsets.every((o) => o >= 0)).toBe(true);
      await w.terminate();
    });

    expect({ inProcess, tcp, fromWorker }).toEqual({ inProcess: 1, tcp: 2, fromWorker: 1 });

    // Bytes whose CRC does not match, sent over TCP: refused, nothing written.
    const t = new TcpClientTransport({ bootstrapServers: cluster.bootstrapServers });
    try {
      const meta = await t.send(-1, { apiKey: ApiKey.Metadata, topics: [{ name: 'trust' }], allowAutoTopicCreation: false });
      const leader = meta.topics[0]!.partitions[0]!.leaderId;
      const bad = encodeBatchUncompressed(records(), { now: Date.now() });
      bad[bad.length - 1] = bad[bad.length - 1]! ^ 0xff;
      const answer = await t.send(leader, { apiKey: ApiKey.Produce, transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: 'trust', partitionData: [{ index: 0, records: bad }] }] });
      expect(answer.responses[0]!.partitionResponses[0]!.errorCode).toBe('CORRUPT_MESSAGE');
    } finally {
      await t.close();
    }
    // Everything acknowledged is there: 2 warm-ups and 3 batches of 10; the refused batch is not.
    const [latest] = await cluster.admin().listOffsets('trust', 'latest');
    expect(latest!.offset).toBe(2 + 3 * recordCount);
  });
});
