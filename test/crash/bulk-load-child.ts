/**
 * A child for the recovery-point crash test: bulk-loads a partition log, letting the
 * event loop turn between writes (so the flushes of rolled segments complete and move
 * the recovery point), and reports each batch written. The parent SIGKILLs it.
 * Arguments: dataDir, segment bytes.
 */
import { setImmediate as turn } from 'node:timers/promises';
import { encodeBatchUncompressed } from '../../src/record/batch.js';
import { PartitionLog } from '../../src/storage/partition-log.js';

const [dataDir, segmentBytesText] = process.argv.slice(2);

async function main(): Promise<void> {
  const log = await PartitionLog.open({ dataDir: dataDir!, topic: 'crash', partition: 0, config: { flushPolicy: 'os', segmentBytes: Number(segmentBytesText), indexIntervalBytes: 512 } });
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
