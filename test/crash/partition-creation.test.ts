/**
 * Partitions created and written while the process is killed (issue 13: a new partition's
 * topic id is a line of the data folder's journal, not a file of its own; a clean close
 * leaves the epoch file behind while its new entries lie past the recovery point). A child
 * process (partition-creation-child.ts) creates topics of 40 partitions one after another
 * and sends acks=1 records to every partition; the parent SIGKILLs it just after a topic
 * was created (its partitions opening, their first records on the way), then starts a
 * cluster on the folder and checks that every partition of every created topic is there
 * and takes a record, and that every acknowledged record is there, in order, with nothing
 * invented. Once before any clean close, once after a clean close and restart in the child.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../src/cluster.js';
import { useTempDirs } from '../helpers/temp-dirs.js';

const tempDir = useTempDirs('tributary-partition-creation-crash-');
const childPath = fileURLToPath(new URL('./partition-creation-child.ts', import.meta.url));
const partitions = 40;

/** Runs the child until `killAt` says so; returns the topics created and the records acknowledged per topic (each partition got as many). */
async function runAndKill(dataDir: string, cleanAfter: number, killAt: (created: number, restarted: boolean) => boolean): Promise<{ created: string[]; acked: Map<string, number> }> {
  const created: string[] = [];
  const acked = new Map<string, number>();
  const child = fork(childPath, [dataDir, String(partitions), String(cleanAfter)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let restarted = false;
  await new Promise<void>((resolve, reject) => {
    child.on('message', (m: { type: string; topic: string; records: number; message?: string }) => {
      if (m.type === 'error') reject(new Error(m.message));
      if (m.type === 'restarted') restarted = true;
      if (m.type === 'ack') acked.set(m.topic, Math.max(acked.get(m.topic) ?? 0, m.records));
      if (m.type === 'created') {
        created.push(m.topic);
        if (killAt(created.length, restarted)) {
          child.kill('SIGKILL');
          resolve();
        }
      }
    });
    child.once('exit', () => reject(new Error(`the child exited early: ${stderr}`)));
  });
  await exited;
  return { created, acked };
}

async function checkReopened(dataDir: string, created: readonly string[], acked: ReadonlyMap<string, number>): Promise<void> {
  const cluster = await Cluster.start({ nodes: 1, dataDir });
  try {
    const admin = cluster.admin();
    // Every partition of every created topic is found again, and ends at or past what was acknowledged.
    for (const topic of created) {
      const ends = await admin.listOffsets(topic, 'latest');
      expect(ends.map((e) => e.partition).sort((a, b) => a - b)).toEqual(Array.from({ length: partitions }, (_, p) => p));
      for (const e of ends) expect(e.offset).toBeGreaterThanOrEqual(acked.get(topic) ?? 0);
    }
    // Every acknowledged record is there, in order, nothing invented (an unacknowledged send may have landed).
    const consumer = cluster.consumer({ maxWaitMs: 50 });
    const assigned = created.filter((t) => (acked.get(t) ?? 0) > 0).flatMap((topic) => Array.from({ length: partitions }, (_, partition) => ({ topic, partition })));
    consumer.assign(assigned);
    for (const tp of assigned) await consumer.seek(tp, 'earliest');
    const next = new Map<string, number>();
    let missing = assigned.reduce((n, tp) => n + acked.get(tp.topic)!, 0);
    for await (const r of consumer) {
      const [topic, partition, round] = Buffer.from(r.value!).toString().split(':');
      expect([topic, Number(partition)]).toEqual([r.topic, r.partition]);
      const k = `${r.topic}-${r.partition}`;
      // Round 2 of topic-0 comes after the restart; rounds count up from 0 with no gap.
      expect(Number(round)).toBe(next.get(k) ?? 0);
      next.set(k, Number(round) + 1);
      if (Number(round) < acked.get(r.topic)!) missing--;
      if (missing === 0) break;
    }
    await consumer.close();
    // And every partition takes a record again.
    const producer = cluster.producer({ acks: 1, lingerMs: 0 });
    for (const topic of created) await producer.send(topic, Array.from({ length: partitions }, (_, partition) => ({ partition, value: `${topic}:${partition}:after` })));
    await producer.close();
  } finally {
    await cluster.close();
  }
}

describe('a SIGKILL while partitions are created and written', () => {
  it('before any clean close: every partition and every acknowledged record is found again', async () => {
    const dataDir = tempDir();
    const { created, acked } = await runAndKill(dataDir, Number.MAX_SAFE_INTEGER, (n) => n === 4);
    expect(acked.size).toBeGreaterThanOrEqual(3);
    await checkReopened(dataDir, created, acked);
  });

  it('after a clean close and restart: every partition and every acknowledged record is found again', async () => {
    const dataDir = tempDir();
    const { created, acked } = await runAndKill(dataDir, 2, (n, restarted) => restarted && n === 4);
    expect(acked.get('topic-0')).toBe(3);
    await checkReopened(dataDir, created, acked);
  });
});
