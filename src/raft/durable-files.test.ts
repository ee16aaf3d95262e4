import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readQuorumState, writeQuorumState } from './quorum-state-file.js';
import { deleteSnapshotsBefore, latestValidSnapshot, listSnapshots, snapshotFileName, writeSnapshot } from './snapshot-files.js';
import { useTempDirs } from '../../test/helpers/temp-dirs.js';

const temp = useTempDirs('tributary-raft-files-');

describe('quorum-state', () => {
  it('round-trips and is absent at first', () => {
    const dir = temp();
    expect(readQuorumState(dir)).toBeUndefined();
    writeQuorumState(dir, { epoch: 7, votedFor: 2, leaderId: -1 });
    expect(readQuorumState(dir)).toEqual({ epoch: 7, votedFor: 2, leaderId: -1 });
    writeQuorumState(dir, { epoch: 8, votedFor: -1, leaderId: 3 });
    expect(readQuorumState(dir)).toEqual({ epoch: 8, votedFor: -1, leaderId: 3 });
  });
  it('refuses to start from a damaged file rather than forget a vote', () => {
    const dir = temp();
    writeFileSync(join(dir, 'quorum-state'), '{"epoch": 3');
    expect(() => readQuorumState(dir)).toThrowError(expect.objectContaining({ code: 'KAFKA_STORAGE_ERROR' }));
    writeFileSync(join(dir, 'quorum-state'), '{"epoch": -1, "votedFor": 1, "leaderId": 1, "data_version": 1}');
    expect(() => readQuorumState(dir)).toThrowError(expect.objectContaining({ code: 'KAFKA_STORAGE_ERROR' }));
  });
});

describe('snapshot files', () => {
  it('are named as KRaft names them and read back whole', () => {
    const dir = temp();
    expect(snapshotFileName({ endOffset: 42, epoch: 3 })).toBe('00000000000000000042-0000000003.checkpoint');
    writeSnapshot(dir, { endOffset: 10, epoch: 1 }, Buffer.from('ten'));
    writeSnapshot(dir, { endOffset: 20, epoch: 2 }, Buffer.from('twenty'));
    expect(listSnapshots(dir)).toEqual([
      { endOffset: 10, epoch: 1 },
      { endOffset: 20, epoch: 2 },
    ]);
    expect(latestValidSnapshot(dir)?.payload.toString()).toBe('twenty');
  });
  it('skip a damaged newest snapshot for an older whole one', () => {
    const dir = temp();
    writeSnapshot(dir, { endOffset: 10, epoch: 1 }, Buffer.from('ten'));
    writeSnapshot(dir, { endOffset: 20, epoch: 2 }, Buffer.from('twenty'));
    const path = join(dir, snapshotFileName({ endOffset: 20, epoch: 2 }));
    const bytes = readFileSync(path);
    bytes[bytes.length - 1]! ^= 1;
    writeFileSync(path, bytes);
    expect(latestValidSnapshot(dir)).toEqual({ id: { endOffset: 10, epoch: 1 }, payload: Buffer.from('ten') });
  });
  it('delete older snapshots and partial files', () => {
    const dir = temp();
    writeSnapshot(dir, { endOffset: 10, epoch: 1 }, Buffer.from('a'));
    writeSnapshot(dir, { endOffset: 20, epoch: 1 }, Buffer.from('b'));
    writeFileSync(join(dir, `${snapshotFileName({ endOffset: 30, epoch: 1 })}.partial`), 'half');
    deleteSnapshotsBefore(dir, { endOffset: 20, epoch: 1 });
    expect(listSnapshots(dir)).toEqual([{ endOffset: 20, epoch: 1 }]);
  });
});
