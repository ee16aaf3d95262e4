import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../storage/atomic-file.js';
import { crc32c } from '../util/crc32c.js';
import { TributaryError } from '../util/errors.js';

/**
 * Snapshot files of the metadata log, named as KRaft names them:
 * `<20-digit end offset>-<10-digit epoch>.checkpoint` (KIP-630), in the log's folder.
 * The end offset is the offset of the first entry the snapshot does not contain.
 *
 * Content: a 16-byte header (magic `TRBSNAP1`, CRC-32C of the payload, payload length)
 * then the payload, the state machine's own bytes. A file is written under a temporary
 * name, fsynced, renamed and the folder fsynced, so a snapshot either exists whole or not
 * at all; a file whose checksum fails is ignored (and an older one used), never loaded.
 * @internal
 */
export interface SnapshotId {
  readonly endOffset: number;
  readonly epoch: number;
}

const magic = Buffer.from('TRBSNAP1');
const headerBytes = 16;
const namePattern = /^(\d{20})-(\d{10})\.checkpoint$/;

export function snapshotFileName(id: SnapshotId): string {
  return `${String(id.endOffset).padStart(20, '0')}-${String(id.epoch).padStart(10, '0')}.checkpoint`;
}

/** Snapshot ids present in `dir`, oldest first. */
export function listSnapshots(dir: string): SnapshotId[] {
  const out: SnapshotId[] = [];
  for (const name of readdirSync(dir)) {
    const m = namePattern.exec(name);
    if (m) out.push({ endOffset: Number(m[1]), epoch: Number(m[2]) });
  }
  return out.sort((a, b) => a.endOffset - b.endOffset || a.epoch - b.epoch);
}

export function writeSnapshot(dir: string, id: SnapshotId, payload: Uint8Array): void {
  const header = Buffer.alloc(headerBytes);
  magic.copy(header, 0);
  header.writeUInt32BE(crc32c(payload), 8);
  header.writeUInt32BE(payload.length, 12);
  writeFileAtomic(dir, snapshotFileName(id), Buffer.concat([header, payload]), '.partial');
}

/** The payload of a snapshot, or a `CORRUPT_MESSAGE` error if the file is damaged. */
export function readSnapshot(dir: string, id: SnapshotId): Buffer {
  const bytes = readFileSync(join(dir, snapshotFileName(id)));
  if (bytes.length < headerBytes || !bytes.subarray(0, 8).equals(magic)) {
    throw new TributaryError('CORRUPT_MESSAGE', `snapshot ${snapshotFileName(id)} has no valid header`);
  }
  const length = bytes.readUInt32BE(12);
  const payload = bytes.subarray(headerBytes);
  if (payload.length !== length || crc32c(payload) !== bytes.readUInt32BE(8)) {
    throw new TributaryError('CORRUPT_MESSAGE', `snapshot ${snapshotFileName(id)} fails its checksum`);
  }
  return payload;
}

/** The newest snapshot that reads back whole, if any. Damaged ones are skipped. */
export function latestValidSnapshot(dir: string): { id: SnapshotId; payload: Buffer } | undefined {
  const ids = listSnapshots(dir);
  for (let i = ids.length - 1; i >= 0; i--) {
    try {
      return { id: ids[i]!, payload: readSnapshot(dir, ids[i]!) };
    } catch {
      // Damaged: fall back to an older one.
    }
  }
  return undefined;
}

/** Deletes every snapshot older than `keep`, and leftover partial files. */
export function deleteSnapshotsBefore(dir: string, keep: SnapshotId): void {
  for (const name of readdirSync(dir)) {
    if (name.endsWith('.checkpoint.partial')) rmSync(join(dir, name), { force: true });
  }
  for (const id of listSnapshots(dir)) {
    if (id.endOffset < keep.endOffset) rmSync(join(dir, snapshotFileName(id)), { force: true });
  }
}
