
import { describe, expect, it } from 'vitest';
import { runCrashRounds } from './crash-harness.js';
import { useTempDirs } from '../helpers/temp-dirs.js';

const tempDir = useTempDirs('tributary-crash-');

// The seed changes every run so that, over many CI runs, many schedules are tried; a
// failure prints its seed and the command that replays it.
const seed = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));

describe('SIGKILL of a child appending to a partition log', () => {
  it('loses no acknowledged record with flush always (30 kills)', async () => {
    const result = await runCrashRounds({ dataDir: tempDir(), flushPolicy: 'always', kills: 30, seed });
    expect(result.acknowledgedRecords).toBeGreaterThan(0);
    expect(result.recordsOnDisk).toBeGreaterThanOrEqual(result.acknowledgedRecords);
  }, 300_000);
  it('loses no acknowledged record with flush os (25 kills)', async () => {
    const result = await runCrashRounds({ dataDir: tempDir(), flushPolicy: 'os', kills: 25, seed: seed + 1 });
    expect(result.acknowledgedRecords).toBeGreaterThan(0);
    expect(result.recordsOnDisk).toBeGreaterThanOrEqual(result.acknowledgedRecords);
  }, 300_000);
});
