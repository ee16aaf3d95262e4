/**
 * Child of the compaction crash test: opens a compacted log and compacts it, killing
 * itself with SIGKILL right after the step named in argv (on the Nth segment cleaned).
 */
import { PartitionLog } from '../../src/storage/partition-log.js';
import type { CompactionStep } from '../../src/storage/compaction.js';

const [dataDir, step, nthText] = process.argv.slice(2) as [string, CompactionStep, string];
let seen = 0;
const log = await PartitionLog.open({
  dataDir,
  topic: 'compact',
  partition: 0,
  config: { cleanupPolicy: 'compact', segmentBytes: 1024, minCleanableDirtyRatio: 0 },
  faults: {
    afterStep(s) {
      if (s === step && seen++ === Number(nthText)) process.kill(process.pid, 'SIGKILL');
    },
  },
});
await log.compact(Date.now());
process.send!({ type: 'finished' });
