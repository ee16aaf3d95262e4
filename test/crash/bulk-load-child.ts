/**
 * A child for the recovery-point crash test: bulk-loads a partition log, letting the
 * event loop turn between writes (so the flushes of rolled segments complete and move
 * the recovery point), and reports each batch written. The parent SIGKILLs it, or, with
 * the third argument `kill-at-segment-creation`, it SIGKILLs itself at a deterministic
 * point: inside the first write to a new segment, after that segment's file was created
 * (segment files are created at their first write) and before any byte reached it, once
 * at least `segmentsMin` (fourth argument) segment files lie below the recovery point.
 * Arguments: dataDir, segment bytes, [mode, segmentsMin].
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as turn } from 'node:timers/promises';
import { encodeBatchUncompressed } from '../../src/record/batch.js';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { FileStore, type Store } from '../../src/storage/store.js';

const [dataDir, segmentBytesText, mode, segmentsMinText] = process.argv.slice(2);

/** Segment files below the recovery point on disk. */
function segmentsBelowRecoveryPoint(dir: string): number {
  let point = 0;
  try {
    point = Number(readFileSync(join(dir, 'recovery-point-offset-checkpoint'), 'utf8').trim());
  } catch {
    return 0;
  }
  return readdirSync(dir).filter((f) => f.endsWith('.log') && Number(f.slice(0, 20)) < point).length;
}

/** A store whose new segment files kill the process between their creation and their first byte. */
function killingStore(dir: string): Store {
  const store = new FileStore(dir);
  const open = store.open.bind(store);
  store.open = (name, create) => {
    const file = open(name, create);
    if (!name.endsWith('.log') || !create || file.onDisk !== false) return file;
    let first = true;
    const killFirst = <A extends unknown[]>(write: (...a: A) => void) => (...a: A): void => {
      if (first && segmentsBelowRecoveryPoint(dir) >= Number(segmentsMinText)) {
        file.materialize!();
        process.kill(process.pid, 'SIGKILL');
      }
      first = false;
      write(...a);
    };
    file.append = killFirst(file.append.bind(file));
    file.appendv = killFirst(file.appendv.bind(file));
    return file;
  };
  return store;
}

async function main(): Promise<void> {
  const log = await PartitionLog.open({
    dataDir: dataDir!,
    topic: 'crash',
    partition: 0,
    config: { flushPolicy: 'os', segmentBytes: Number(segmentBytesText), indexIntervalBytes: 512 },
    ...(mode === 'kill-at-segment-creation' ? { openStore: killingStore } : {}),
  });
  for (let i = 0; ; i++) {
    log.write(encodeBatchUncompressed([{ key: Buffer.from(`k${i}`), value: Buffer.alloc(200, i % 251), timestamp: 1_700_000_000_000 + i }]));
    process.send!({ type: 'ack', batch: i });
    await turn();
  }
}

main().catch((err: unknown) => {
  process.send!({ type: 'error', message: String((err as Error)?.stack ?? err) });
  process.exit(1);
});
