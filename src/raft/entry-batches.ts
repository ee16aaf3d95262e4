/**
 * A Raft entry as a record batch, the one form KRaft knows: a proposal is a batch of one
 * record whose value is the proposal, and a new leader's first entry is a LEADER_CHANGE
 * control batch. The metadata log stores them so (`raft-node.ts`), and a Fetch response
 * between quorum members carries them so (`node/raft-messages.ts`).
 * @internal
 */
import { checkBatch, decodeUncompressedBatch, encodeBatchUncompressed, isControlBatch, readBatchHeader } from '../record/batch.js';
import { encodeControlBatch } from '../record/control-record.js';
import { TributaryError } from '../util/errors.js';
import type { Entry, NodeId } from './core/kraft.js';

/** One entry as one record batch. `leaderId` names the new leader in a LEADER_CHANGE batch. */
export function encodeEntry(e: Entry, leaderId: NodeId, now: number): Buffer {
  if (e.data === null) {
    return encodeControlBatch({ type: 'LEADER_CHANGE', leaderId, voters: [], grantingVoters: [] }, { baseOffset: e.offset, partitionLeaderEpoch: e.epoch, now });
  }
  return encodeBatchUncompressed([{ key: null, value: e.data }], { baseOffset: e.offset, partitionLeaderEpoch: e.epoch, now });
}

/** Entries as concatenated record batches (none: empty bytes). */
export function encodeEntries(entries: readonly Entry[], leaderId: NodeId, now: number): Uint8Array {
  if (entries.length === 0) return new Uint8Array(0);
  if (entries.length === 1) return encodeEntry(entries[0]!, leaderId, now);
  return Buffer.concat(entries.map((e) => encodeEntry(e, leaderId, now)));
}

/**
 * The entries in untrusted record batches that must start at `fromOffset`: every batch is
 * checked whole (CRC included), holds one entry, and follows the one before it. Anything
 * else is `CORRUPT_MESSAGE`. An entry's data is a view into `records`.
 */
export function decodeEntries(records: Uint8Array, fromOffset: number): Entry[] {
  const out: Entry[] = [];
  let pos = 0;
  let offset = fromOffset;
  while (pos < records.length) {
    const check = checkBatch(records, pos, records.length);
    if (!check.ok) throw new TributaryError('CORRUPT_MESSAGE', `metadata entries: a record batch at byte ${pos} is ${check.problem}`);
    const bytes = records.subarray(pos, pos + check.size);
    const h = readBatchHeader(bytes);
    if (h.baseOffset !== offset || h.recordCount !== 1) throw new TributaryError('CORRUPT_MESSAGE', `metadata entries: a batch at offset ${h.baseOffset} of ${h.recordCount} records where one entry at ${offset} was due`);
    const data = isControlBatch(h.attributes) ? null : (decodeUncompressedBatch(bytes)[0]?.value ?? new Uint8Array(0));
    out.push({ offset, epoch: h.partitionLeaderEpoch, data });
    offset++;
    pos += check.size;
  }
  return out;
}
