/**
 * After a crash, a restarted cluster does not wait for the dead process's group members:
 * members that lived in the cluster's own process in an earlier run can never come back,
 * so their partitions move at once instead of after their session timeout (10 minutes
 * here, far beyond the test's bounds).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../src/cluster.js';
import { waitFor } from '../../src/testing.js';
import { useTempDirs } from '../helpers/temp-dirs.js';

const tempDir = useTempDirs('tributary-group-crash-');
const child = fileURLToPath(new URL('./group-crash-child.ts', import.meta.url));

/** Runs the child until it prints `ready`, then SIGKILLs it. */
function runAndKill(dataDir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', child, dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    const limit = setTimeout(() => p.kill('SIGKILL'), 120_000);
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) p.kill('SIGKILL');
    });
    p.on('error', reject);
    p.on('exit', (_code, signal) => {
      clearTimeout(limit);
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`the child ended on its own: ${err}`));
    });
  });
}

describe('a consumer group after a crash restart', () => {
  it('members of the crashed process are dropped at once: a new member gets every partition, from the committed offsets', async () => {
    const dataDir = tempDir();
    await runAndKill(dataDir);
    await using cluster = await Cluster.start({ dataDir });
    const before = await cluster.admin().describeGroup('crashed');
    const group = cluster.consumerGroup({ groupId: 'crashed', topics: ['jobs'], from: 'earliest', sessionTimeoutMs: 10_000 });
    // The dead members' sessions are 10 minutes: without dropping them this never happens within the bound.
    await waitFor(() => group.assignment().length === 4, { timeoutMs: 90_000, message: 'the new member owns every partition' });
    const after = await cluster.admin().describeGroup('crashed');
    expect(after.members.map((m) => m.memberId)).toEqual([group.memberId]);
    // What the dead members committed survived.
    expect(after.offsets.reduce((n, o) => n + o.committed, 0)).toBe(8);
    expect(before.offsets.reduce((n, o) => n + o.committed, 0)).toBe(8);
    await group.close();
  }, 240_000);
});
