/**
 * What a broker's partition costs in files (issue 13), counted through the injectable
 * store and the data folder's listing, never timed: a new partition's first record
 * creates its segment file and nothing else in its folder (its topic id is a line of the
 * data folder's journal), and a clean close does not write the epoch file of a history
 * whose new entries lie past the recovery point; the epoch file follows at the first
 * flush that moves the recovery point past them, and a crash in between loses nothing.
 */
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../../test/helpers/temp-dirs.js';
import { encodeBatch } from '../record/index.js';
import { epochCheckpointFile } from '../storage/leader-epoch-file-cache.js';
import { FileStore, type Store, type StoreFile } from '../storage/store.js';
import { topicIdJournalFile } from '../storage/topic-id-journal.js';
import { systemClock } from '../util/clock.js';
import { uuidFromBytes } from '../util/uuid.js';
import { LogManager } from './log-manager.js';

const tempDir = useTempDirs('tributary-log-manager-files-');

/** File operations on one name, by kind. */
type Ops = Map<string, { creates: number; writes: number; syncs: number }>;

function countingStore(dir: string, ops: Ops): Store {
  const inner = new FileStore(dir, { lock: false });
  const of = (name: string): { creates: number; writes: number; syncs: number } => {
    let o = ops.get(name);
    if (o === undefined) ops.set(name, (o = { creates: 0, writes: 0, syncs: 0 }));
    return o;
  };
  const wrap = (name: string, f: StoreFile): StoreFile =>
    new Proxy(f, {
      get(target, prop, receiver) {
        if (prop === 'sync' || prop === 'syncNow') of(name).syncs++;
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'open') return (name: string, create: boolean) => (create && !target.exists(name) && of(name).creates++, wrap(name, target.open(name, create)));
      if (prop === 'writeAtomic' || prop === 'writeReplacing') return (name: string, data: Uint8Array) => (of(name).writes++, target[prop](name, data));
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

const topicId = uuidFromBytes(randomBytes(16));

function manager(dataDir: string, ops: Ops): LogManager {
  return new LogManager({ dataDir, nodeId: 1, clock: systemClock, openStore: (dir) => countingStore(dir, ops) });
}

const batch = (value: string): Promise<Uint8Array> => encodeBatch([{ value: Buffer.from(value) }]);

describe('a broker partition’s files', () => {
  it('a new partition’s first record creates its segment file only; its topic id is one line of the data folder’s journal', async () => {
    const dataDir = tempDir();
    const ops: Ops = new Map();
    const logs = manager(dataDir, ops);
    for (let p = 0; p < 3; p++) {
      const log = await logs.open('t', p, {}, topicId);
      log.leaderEpochCache.assign(0, 0);
      log.write(await batch(`v${p}`), { leaderEpoch: 0 });
    }
    for (let p = 0; p < 3; p++) expect(readdirSync(join(dataDir, `t-${p}`))).toEqual(['00000000000000000000.log']);
    expect([...ops.keys()]).toEqual(['00000000000000000000.log']);
    expect(ops.get('00000000000000000000.log')).toEqual({ creates: 3, writes: 0, syncs: 0 });
    expect(readFileSync(join(dataDir, topicIdJournalFile), 'utf8')).toBe([0, 1, 2].map((p) => `t ${p} ${String(topicId)}\n`).join(''));
    await logs.closeAll();
  });

  it('a folder the journal gives to another topic (deleted and created again while the node was down) is removed, not adopted', async () => {
    const dataDir = tempDir();
    const ops: Ops = new Map();
    const first = manager(dataDir, ops);
    const old = await first.open('t', 0, {}, topicId);
    old.write(await batch('old'));
    first.abandonAll(); // a crash: no marker
    const other = uuidFromBytes(randomBytes(16));
    const second = manager(dataDir, ops);
    const log = await second.open('t', 0, {}, other);
    expect(log.logEndOffset).toBe(0);
    await second.closeAll();
    expect(readFileSync(join(dataDir, topicIdJournalFile), 'utf8').trim().split('\n').at(-1)).toBe(`t 0 ${String(other)}`);
  });

  it('a folder from before the journal is checked against its own partition.metadata', async () => {
    const dataDir = tempDir();
    const folder = join(dataDir, 't-0');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'partition.metadata'), `version: 0\ntopic_id: ${String(uuidFromBytes(randomBytes(16)))}\n`);
    writeFileSync(join(folder, '00000000000000000000.log'), Buffer.from(await batch('from another topic')));
    const logs = manager(dataDir, new Map());
    const log = await logs.open('t', 0, {}, topicId);
    expect(log.logEndOffset).toBe(0);
    await logs.closeAll();
  });

  it('a clean close leaves the epoch file behind while its new entries lie past the recovery point; the flush that passes them writes it; a crash loses no epoch', async () => {
    const dataDir = tempDir();
    const ops: Ops = new Map();
    const epochFile = (): { creates: number; writes: number; syncs: number } => ops.get(epochCheckpointFile) ?? { creates: 0, writes: 0, syncs: 0 };
    const config = { segmentBytes: 1024 };
    // Term 0: five batches, then a clean close.
    let logs = manager(dataDir, ops);
    let log = await logs.open('t', 0, config, topicId);
    log.leaderEpochCache.assign(0, 0);
    for (let i = 0; i < 5; i++) log.write(await batch(`a${i}`), { leaderEpoch: 0 });
    await logs.closeAll();
    expect(epochFile()).toEqual({ creates: 0, writes: 0, syncs: 0 });
    // Restart, term 1 (a new leader epoch), three batches, a clean close: still no write.
    logs = manager(dataDir, ops);
    log = await logs.open('t', 0, config, topicId);
    expect(log.recovery.clean).toBe(true);
    expect(log.epochs()).toEqual([{ epoch: 0, startOffset: 0 }]);
    log.leaderEpochCache.assign(1, 5);
    for (let i = 0; i < 3; i++) log.write(await batch(`b${i}`), { leaderEpoch: 1 });
    await logs.closeAll();
    expect(epochFile()).toEqual({ creates: 0, writes: 0, syncs: 0 });
    // A clean restart that changes nothing: nothing either.
    logs = manager(dataDir, ops);
    log = await logs.open('t', 0, config, topicId);
    expect(log.epochs()).toEqual([{ epoch: 0, startOffset: 0 }, { epoch: 1, startOffset: 5 }]);
    await logs.closeAll();
    expect(epochFile()).toEqual({ creates: 0, writes: 0, syncs: 0 });
    // Restart, then a crash (the marker is gone): recovery scans past the recovery point and finds both epochs.
    logs = manager(dataDir, ops);
    await logs.open('t', 0, config, topicId);
    logs.abandonAll();
    const beforeCrashReopen = { ...epochFile() };
    logs = manager(dataDir, ops);
    log = await logs.open('t', 0, config, topicId);
    expect(log.recovery.clean).toBe(false);
    expect(log.logEndOffset).toBe(8);
    expect(log.epochs()).toEqual([{ epoch: 0, startOffset: 0 }, { epoch: 1, startOffset: 5 }]);
    // (Recovery after a crash writes the file it rebuilt, with its fsyncs, as always.)
    expect(epochFile().writes).toBe(beforeCrashReopen.writes + 1);
    await logs.closeAll();

    // Term 2 with enough batches to roll: the flush that moves the recovery point writes the file first.
    logs = manager(dataDir, ops);
    log = await logs.open('t', 0, config, topicId);
    const writesBefore = epochFile().writes;
    log.leaderEpochCache.assign(2, 8);
    const value = 'x'.repeat(200);
    for (let i = 0; i < 12; i++) log.write(await batch(`${value}${i}`), { leaderEpoch: 2 });
    expect(log.segmentCount).toBeGreaterThan(1);
    await log.sync(); // waits for the rolled segments' flushes
    expect(epochFile().writes).toBe(writesBefore + 1);
    logs.abandonAll(); // a crash past the roll
    logs = manager(dataDir, ops);
    log = await logs.open('t', 0, config, topicId);
    expect(log.logEndOffset).toBe(20);
    expect(log.epochs()).toEqual([{ epoch: 0, startOffset: 0 }, { epoch: 1, startOffset: 5 }, { epoch: 2, startOffset: 8 }]);
    await logs.closeAll();
  });
});
