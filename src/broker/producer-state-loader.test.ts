/**
 * Producer-state snapshots (Kafka's `<offset>.snapshot`): a replica's producer state is
 * loaded from the newest snapshot plus the batches after it, and every snapshot that no
 * longer describes the log is refused. Counted (bytes read from segment files), never
 * timed.
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../../test/helpers/temp-dirs.js';
import { encodeBatchUncompressed, iterateBatches, type BatchHeader } from '../record/batch.js';
import { PartitionLog } from '../storage/partition-log.js';
import { FileStore, type Store, type StoreFile } from '../storage/store.js';
import { Partition, type LeaderAndIsr, type ProduceOutcome } from './partition.js';

const tempDir = useTempDirs('tributary-producer-snapshots-');
const leader: LeaderAndIsr = { leader: 1, leaderEpoch: 1, partitionEpoch: 1, replicas: [1], isr: [1] };

/** A store that counts the bytes read from `.log` files. */
function counting(counter: { logBytes: number }): (dir: string) => Store {
  return (dir) => {
    const inner = new FileStore(dir);
    const wrap = (name: string, f: StoreFile): StoreFile =>
      new Proxy(f, {
        get(target, prop, receiver) {
          if (prop === 'read' && name.endsWith('.log')) {
            return (buf: Buffer, offset: number, length: number, position: number) => {
              const n = target.read(buf, offset, length, position);
              counter.logBytes += n;
              return n;
            };
          }
          const v = Reflect.get(target, prop, receiver) as unknown;
          return typeof v === 'function' ? v.bind(target) : v;
        },
      });
    return new Proxy(inner, {
      get(target, prop, receiver) {
        if (prop === 'open') return (name: string, create: boolean) => wrap(name, target.open(name, create));
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
  };
}

/** Every batch header of a log, in offset order (a read stays within one segment). */
function headersOf(log: PartitionLog): BatchHeader[] {
  const out: BatchHeader[] = [];
  for (let offset = log.logStartOffset; offset < log.logEndOffset; ) {
    for (const { header } of iterateBatches(log.read(offset).records)) {
      out.push(header);
      offset = header.baseOffset + header.lastOffsetDelta + 1;
    }
  }
  return out;
}

function ok(outcome: ProduceOutcome): { firstOffset: number; lastOffset: number; duplicate: boolean } {
  expect(outcome.errorCode).toBe('NONE');
  return outcome as never;
}

const segmentBytes = 2048;
const value = 'v'.repeat(150);
const open = (dataDir: string, counter?: { logBytes: number }, config: object = { segmentBytes }): Promise<PartitionLog> =>
  PartitionLog.open({ dataDir, topic: 't', partition: 0, config, ...(counter ? { openStore: counting(counter) } : {}) });
const send = (p: Partition, producerId: number, seq: number): ProduceOutcome =>
  p.appendAsLeader(encodeBatchUncompressed([{ value: Buffer.from(`${producerId}:${seq}:${value}`) }, { value: Buffer.from(value) }], { now: 1000, producerId, producerEpoch: 0, baseSequence: seq }), { acks: 1 }, 0);

/** Three producers, `rounds` batches each (two records a batch), on a log of small segments; returns each batch's first offset. */
function load(p: Partition, rounds: number): Map<string, number> {
  p.makeLeader(leader, 0);
  const offsets = new Map<string, number>();
  for (let r = 0; r < rounds; r++) for (const id of [7, 8, 9]) offsets.set(`${id}:${r * 2}`, ok(send(p, id, r * 2)).firstOffset);
  return offsets;
}

const snapshots = (dataDir: string): number[] =>
  readdirSync(join(dataDir, 't-0'))
    .filter((n) => n.endsWith('.snapshot'))
    .map((n) => Number(n.slice(0, 20)))
    .sort((a, b) => a - b);

/** Every producer's recent batches are duplicates with their first offsets, and its next sequence appends. */
function expectStateOf(p: Partition, offsets: Map<string, number>, rounds: number): void {
  p.makeLeader({ ...leader, leaderEpoch: 2, partitionEpoch: 2 }, 0);
  for (const id of [7, 8, 9]) {
    for (let r = rounds - 5; r < rounds; r++) expect(ok(send(p, id, r * 2))).toMatchObject({ duplicate: true, firstOffset: offsets.get(`${id}:${r * 2}`) });
    expect(send(p, id, rounds * 2 + 2).errorCode).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
    expect(ok(send(p, id, rounds * 2)).duplicate).toBe(false);
  }
}

describe('producer-state snapshots', () => {
  it('after a crash, the state comes from the newest snapshot and the batches after it: retries before the snapshot are still duplicates, and only the tail is read', async () => {
    const dataDir = tempDir();
    const log = await open(dataDir);
    const offsets = load(new Partition({ log, brokerId: 1 }), 40);
    expect(log.segmentCount).toBeGreaterThan(10);
    log.abandon(); // a crash

    const counter = { logBytes: 0 };
    const reopened = await open(dataDir, counter);
    const newest = snapshots(dataDir).at(-1)!;
    expect(newest).toBeGreaterThan(0);
    counter.logBytes = 0;
    const p = new Partition({ log: reopened, brokerId: 1 });
    // The replay read at most the segments from the snapshot on, far less than the log.
    const tail = readdirSync(join(dataDir, 't-0'))
      .filter((n) => n.endsWith('.log') && Number(n.slice(0, 20)) >= newest)
      .reduce((n, f) => n + readFileSync(join(dataDir, 't-0', f)).length, 0);
    expect(counter.logBytes).toBeLessThanOrEqual(tail);
    expect(counter.logBytes).toBeLessThan(reopened.sizeInBytes / 4);
    expect(reopened.producerSnapshots.counts).toMatchObject({ read: 1, rejected: 0 });
    expectStateOf(p, offsets, 40);
    await reopened.close();
  });

  it('a clean close takes a snapshot at the log end, and the next open reads no segment bytes for the producer state', async () => {
    const dataDir = tempDir();
    const log = await open(dataDir, undefined, {});
    const offsets = load(new Partition({ log, brokerId: 1 }), 250); // about 120 KiB in one segment
    expect(log.segmentCount).toBe(1);
    await log.close();
    expect(snapshots(dataDir)).toEqual([log.logEndOffset]);

    const counter = { logBytes: 0 };
    const reopened = await open(dataDir, counter, {});
    counter.logBytes = 0;
    const p = new Partition({ log: reopened, brokerId: 1 });
    expect(counter.logBytes).toBe(0);
    expectStateOf(p, offsets, 250);
    await reopened.close();
  });

  it('a damaged or emptied snapshot is refused and an older one (or the log) used instead: the state is never wrong', async () => {
    for (const damage of ['flip', 'empty', 'garbage'] as const) {
      const dataDir = tempDir();
      const log = await open(dataDir);
      const offsets = load(new Partition({ log, brokerId: 1 }), 40);
      log.abandon();
      const [older, newest] = snapshots(dataDir).slice(-2);
      const file = join(dataDir, 't-0', `${String(newest).padStart(20, '0')}.snapshot`);
      const bytes = readFileSync(file);
      if (damage === 'flip') bytes[bytes.length - 3]! ^= 0x10;
      writeFileSync(file, damage === 'empty' ? Buffer.alloc(0) : damage === 'garbage' ? Buffer.from('not a snapshot') : bytes);

      const reopened = await open(dataDir);
      const p = new Partition({ log: reopened, brokerId: 1 });
      expect(reopened.producerSnapshots.counts).toMatchObject({ read: 2, rejected: 1 });
      expect(snapshots(dataDir)).toEqual([older]);
      expectStateOf(p, offsets, 40);
      await reopened.close();
    }
  });

  it('snapshots past the recovered log end are removed (segments lost behind our back), and the state is that of what is left', async () => {
    const dataDir = tempDir();
    const log = await open(dataDir);
    load(new Partition({ log, brokerId: 1 }), 40);
    log.abandon();
    const dir = join(dataDir, 't-0');
    const logs = readdirSync(dir).filter((n) => n.endsWith('.log')).sort();
    for (const f of logs.slice(-3)) rmSync(join(dir, f)); // the last three segments are gone
    const reopened = await open(dataDir);
    const end = reopened.logEndOffset;
    expect(snapshots(dataDir).every((o) => o <= end)).toBe(true);
    const p = new Partition({ log: reopened, brokerId: 1 });
    p.makeLeader({ ...leader, leaderEpoch: 2, partitionEpoch: 2 }, 0);
    // The last batch that survived is a duplicate; the first lost one appends anew.
    const lastKept = headersOf(reopened).at(-1)!;
    const id = lastKept.producerId;
    expect(ok(send(p, id, lastKept.baseSequence))).toMatchObject({ duplicate: true, firstOffset: end - 2 });
    expect(ok(send(p, id, lastKept.baseSequence + 2))).toMatchObject({ duplicate: false, firstOffset: end });
    await reopened.close();
  });

  it('a truncation removes the snapshots above it before the tail goes; what is appended after describes the new tail', async () => {
    const dataDir = tempDir();
    const log = await open(dataDir);
    const p = new Partition({ log, brokerId: 1 });
    load(p, 40);
    const all = snapshots(dataDir);
    const cut = all.at(-1)! - 1;
    log.truncateTo(cut);
    expect(snapshots(dataDir).every((o) => o <= cut)).toBe(true);
    log.abandon();
    const reopened = await open(dataDir);
    const again = new Partition({ log: reopened, brokerId: 1 });
    expect(reopened.logEndOffset).toBeLessThanOrEqual(cut);
    again.makeLeader({ ...leader, leaderEpoch: 2, partitionEpoch: 2 }, 0);
    // Producer 9's batches past the cut are gone: its next batch after the cut is not a duplicate.
    const last9 = headersOf(reopened).filter((h) => h.producerId === 9).at(-1)!;
    expect(ok(send(again, 9, last9.baseSequence + 2))).toMatchObject({ duplicate: false, firstOffset: reopened.logEndOffset - 2 });
    await reopened.close();
  });
});
