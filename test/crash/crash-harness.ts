import { fork } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { decodeUncompressedBatch, iterateBatches } from '../../src/record/batch.js';
import type { FlushPolicy, RecoveryReport } from '../../src/storage/log.js';
import { Rng } from '../../src/util/rng.js';
import { keyFor, parseValue, recordCountFor } from './payload.js';

const childPath = fileURLToPath(new URL('./append-child.ts', import.meta.url));

export interface CrashRunOptions {
  readonly dataDir: string;
  readonly flushPolicy: FlushPolicy;
  readonly kills: number;
  readonly seed: number;
  /** Small segments make kills land during rolls too. */
  readonly segmentBytes?: number;
  readonly log?: (line: string) => void;
}

export interface CrashRunResult {
  readonly kills: number;
  readonly acknowledgedBatches: number;
  readonly acknowledgedRecords: number;
  readonly recordsOnDisk: number;
  readonly bytesTruncated: number;
  readonly recoveries: number;
}

interface Ack {
  readonly batchId: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
}

/**
 * Runs `kills` rounds of: start a child that appends to the log, let it run for a random
 * while (seeded), SIGKILL it, reopen the log in this process and check it. The log's
 * data accumulates across rounds, so every round also recovers what the previous kill
 * left. Throws with the seed in the message on the first violation.
 */
export async function runCrashRounds(options: CrashRunOptions): Promise<CrashRunResult> {
  const rng = new Rng(options.seed);
  const acks = new Map<number, Ack>(); // firstOffset -> ack, over all rounds
  let nextBatchId = 0;
  let bytesTruncated = 0;
  let recoveries = 0;
  const fail = (why: string): never => {
    throw new Error(`crash test failed (seed ${options.seed}, flush ${options.flushPolicy}): ${why}\nreplay: npm run test:crash -- --seed ${options.seed} --flush ${options.flushPolicy}`);
  };
  for (let round = 0; round < options.kills; round++) {
    const roundAcks: Ack[] = [];
    const child = fork(childPath, [options.dataDir, options.flushPolicy, String(nextBatchId), String(options.segmentBytes ?? 64 * 1024)], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    let childError: string | undefined;
    const ready = new Promise<void>((resolve, reject) => {
      child.on('message', (m: { type: string; batchId: number; firstOffset: number; lastOffset: number; message?: string; recovery?: RecoveryReport }) => {
        if (m.type === 'ready') {
          if (m.recovery && !m.recovery.clean) recoveries++;
          if (m.recovery) bytesTruncated += m.recovery.bytesTruncated;
          resolve();
        } else if (m.type === 'ack') roundAcks.push({ batchId: m.batchId, firstOffset: m.firstOffset, lastOffset: m.lastOffset });
        else if (m.type === 'error') childError = m.message;
      });
      child.on('exit', () => reject(new Error(`child exited before it was ready: ${childError ?? stderr}`)));
    });
    await ready;
    // Kill after a random while: sometimes at once (mid-recovery writes, first appends),
    // usually after some appends, now and then after a longer run with rolls.
    const delayMs = rng.chance(0.15) ? rng.int(3) : rng.chance(0.8) ? 5 + rng.int(60) : 50 + rng.int(250);
    await new Promise((r) => setTimeout(r, delayMs));
    child.kill('SIGKILL');
    await exited;
    if (childError) fail(`the child failed: ${childError}`);
    for (const ack of roundAcks) {
      if (acks.has(ack.firstOffset)) fail(`offset ${ack.firstOffset} was acknowledged twice`);
      acks.set(ack.firstOffset, ack);
    }
    nextBatchId += 100_000; // batch ids of later rounds never collide with unacknowledged ones
    // Reopen here and verify. The parent closes cleanly, so the next child starts from a
    // clean state only if we did not find a torn tail; either way it runs recovery logic.
    const log = await PartitionLog.open({ dataDir: options.dataDir, topic: 'crash', partition: 0, config: { segmentBytes: options.segmentBytes ?? 64 * 1024, indexIntervalBytes: 512 } });
    try {
      verify(log, acks, fail);
    } finally {
      // Leave it as a crash would, so the next child also has to recover, unless a coin
      // says to close cleanly (exercising the clean-shutdown marker path as well).
      if (rng.chance(0.5)) await log.close();
      else {
        // As if this process had crashed too: its lock goes with it.
        log.abandon();
        rmSync(join(options.dataDir, 'crash-0', '.lock'), { force: true });
      }
    }
    options.log?.(`round ${round + 1}/${options.kills}: ${roundAcks.length} acks, log end ${log.logEndOffset}`);
  }
  let acknowledgedRecords = 0;
  for (const a of acks.values()) acknowledgedRecords += a.lastOffset - a.firstOffset + 1;
  const log = await PartitionLog.open({ dataDir: options.dataDir, topic: 'crash', partition: 0 });
  const recordsOnDisk = log.logEndOffset - log.logStartOffset;
  await log.close();
  return { kills: options.kills, acknowledgedBatches: acks.size, acknowledgedRecords, recordsOnDisk, bytesTruncated, recoveries };
}

function verify(log: PartitionLog, acks: Map<number, Ack>, fail: (why: string) => never): void {
  // Read the whole log; every batch must decode, offsets must be contiguous, and every
  // record must be exactly one the child wrote.
  const found = new Map<number, number>(); // offset -> batchId of the record there
  let expectedOffset = log.logStartOffset;
  while (expectedOffset < log.logEndOffset) {
    const { records } = log.read(expectedOffset, { maxBytes: 1 << 20 });
    if (records.length === 0) fail(`read at ${expectedOffset} returned nothing below log end ${log.logEndOffset}`);
    for (const slice of iterateBatches(records)) {
      if (slice.header.baseOffset !== expectedOffset) fail(`batch at ${slice.header.baseOffset}, expected ${expectedOffset}`);
      const decoded = decodeUncompressedBatch(records, slice.position);
      for (const [i, rec] of decoded.entries()) {
        const parsed = parseValue(rec.value);
        if (!parsed) fail(`record at offset ${rec.offset} is not one the child wrote`);
        if (parsed.index !== i) fail(`record at offset ${rec.offset} was written at index ${parsed.index}, found at ${i}`);
        if (!keyFor(parsed.batchId, parsed.index).equals(Buffer.from(rec.key ?? []))) fail(`key mismatch at offset ${rec.offset}`);
        found.set(rec.offset, parsed.batchId);
      }
      expectedOffset = slice.header.baseOffset + slice.header.lastOffsetDelta + 1;
    }
  }
  for (const ack of acks.values()) {
    const count = recordCountFor(ack.batchId);
    if (ack.lastOffset - ack.firstOffset + 1 !== count) fail(`batch ${ack.batchId} was acknowledged with ${ack.lastOffset - ack.firstOffset + 1} offsets, it has ${count} records`);
    for (let o = ack.firstOffset; o <= ack.lastOffset; o++) {
      if (found.get(o) !== ack.batchId) fail(`acknowledged batch ${ack.batchId} at offsets ${ack.firstOffset}..${ack.lastOffset} is missing or replaced at ${o} (log end ${log.logEndOffset})`);
    }
  }
}
