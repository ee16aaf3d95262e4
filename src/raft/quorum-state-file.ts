import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../storage/atomic-file.js';
import { TributaryError } from '../util/errors.js';

/**
 * A Raft voter's durable election state, KRaft's `quorum-state` file: the epoch it is in
 * and whom it voted for in that epoch. A voter must never vote twice in one epoch, even
 * across a crash, so this file is written before the vote is sent, atomically (temp file,
 * fsync, rename, fsync of the folder): a crash leaves either the old state or the new.
 * @internal
 */
export interface QuorumState {
  readonly epoch: number;
  /** The voter this node voted for in `epoch`, or -1. */
  readonly votedFor: number;
  /** The leader this node knew in `epoch`, or -1 (a hint for a fast restart, not needed for safety). */
  readonly leaderId: number;
}

const fileName = 'quorum-state';
const dataVersion = 1;

export function readQuorumState(dir: string): QuorumState | undefined {
  let text: string;
  try {
    text = readFileSync(join(dir, fileName), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new TributaryError('KAFKA_STORAGE_ERROR', `${join(dir, fileName)} is not valid JSON`, { cause });
  }
  const s = parsed as Record<string, unknown>;
  const int = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
  if (s.data_version !== dataVersion || !int(s.epoch) || !int(s.votedFor) || !int(s.leaderId) || s.epoch < 0) {
    // An unreadable vote cannot be guessed: starting with no vote could vote twice in an
    // epoch. Refuse to start, as Kafka does.
    throw new TributaryError('KAFKA_STORAGE_ERROR', `${join(dir, fileName)} is not a quorum state of version ${dataVersion}`);
  }
  return { epoch: s.epoch, votedFor: s.votedFor, leaderId: s.leaderId };
}

export function writeQuorumState(dir: string, state: QuorumState): void {
  mkdirSync(dir, { recursive: true });
  const body = `${JSON.stringify({ epoch: state.epoch, votedFor: state.votedFor, leaderId: state.leaderId, data_version: dataVersion })}\n`;
  writeFileAtomic(dir, fileName, body, '.partial');
}
