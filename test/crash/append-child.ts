/**
 * The child process of the crash tests: opens a partition log and appends batches as
 * fast as it can, with several appends in flight (so group commit is exercised), and
 * reports every acknowledged append to the parent over IPC. The parent SIGKILLs it at a
 * random moment. Arguments: dataDir, flush policy, first batch id, segment bytes.
 */
import { PartitionLog } from '../../src/storage/partition-log.js';
import { encodeBatchUncompressed } from '../../src/record/batch.js';
import type { FlushPolicy } from '../../src/storage/log.js';
import { keyFor, recordCountFor, valueFor } from './payload.js';

const [dataDir, flushPolicy, firstBatchIdText, segmentBytesText] = process.argv.slice(2);
const inFlightMax = 8;

async function main(): Promise<void> {
  const log = await PartitionLog.open({
    dataDir: dataDir!,
    topic: 'crash',
    partition: 0,
    config: { flushPolicy: flushPolicy as FlushPolicy, segmentBytes: Number(segmentBytesText), indexIntervalBytes: 512 },
  });
  process.send!({ type: 'ready', logEndOffset: log.logEndOffset, recovery: log.recovery });
  let nextBatchId = Number(firstBatchIdText);
  const appendOne = async (): Promise<void> => {
    for (;;) {
      const batchId = nextBatchId++;
      const count = recordCountFor(batchId);
      const records = Array.from({ length: count }, (_, i) => ({ key: keyFor(batchId, i), value: valueFor(batchId, i), timestamp: 1_700_000_000_000 + batchId }));
      const info = await log.append(encodeBatchUncompressed(records));
      process.send!({ type: 'ack', batchId, firstOffset: info.firstOffset, lastOffset: info.lastOffset });
    }
  };
  await Promise.all(Array.from({ length: inFlightMax }, appendOne));
}

main().catch((err: unknown) => {
  process.send!({ type: 'error', message: String((err as Error)?.stack ?? err) });
  process.exit(1);
});
