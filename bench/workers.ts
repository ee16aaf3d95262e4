/**
 * The workers section: the Producer in a worker thread (through `cluster.createHandle()`)
 * beside the same Producer in the cluster's thread, 100-byte records in calls of 1,000.
 * Target (issue 11): the worker at least 0.8 of same-thread.
 */
import { fmt, runCase, table } from './lib.js';

export async function workersBench(): Promise<string> {
  const rows: (string | number)[][] = [];
  const ratios: number[] = [];
  for (let run = 0; run < 3; run++) {
    const main = await runCase('./workers-cases.ts', ['main']);
    const worker = await runCase('./workers-cases.ts', ['worker']);
    const ratio = Number(worker.recordsPerSec) / Number(main.recordsPerSec);
    ratios.push(ratio);
    rows.push([run + 1, fmt(Number(main.recordsPerSec)), fmt(Number(worker.recordsPerSec)), fmt(ratio, 2)]);
  }
  ratios.sort((a, b) => a - b);
  return `## Workers\n\nProducer, 100-byte records, calls of 1,000 (4 in flight), 1-node cluster in the main thread. Target: worker ≥ 0.8 of main.\n\n${table(['run', 'main thread rec/s', 'worker rec/s', 'worker / main'], rows)}\n\nMedian ratio: ${fmt(ratios[1]!, 2)}\n`;
}
