/**
 * Nothing of a consumer group keeps the process alive once it and its cluster are closed
 * (a `delay(metadataMaxAgeMs)` raced and never cleared used to hold it for up to that long).
 * Checked in a child process, whose only handles are its own: after the closes it lists
 * the resources that still hold its event loop (`process.getActiveResourcesInfo()`), and
 * it must then exit by itself.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const child = fileURLToPath(new URL('./group-exit-child.ts', import.meta.url));

/** Runs the child; one still alive after `limitMs` (far beyond its work, even at load 10) is killed and reported. */
function runChild(how: string, limitMs: number): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', child, how], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const limit = setTimeout(() => {
      err += `\nstill running after ${limitMs} ms: killed`;
      p.kill('SIGKILL');
    }, limitMs);
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('exit', (code) => {
      clearTimeout(limit);
      resolve({ code, out, err });
    });
  });
}

describe('a closed consumer group lets the process exit', () => {
  for (const how of ['group', 'cluster', 'run']) {
    it(`after ${how === 'group' ? 'group.close() then cluster.close()' : how === 'cluster' ? 'cluster.close() alone' : 'run() and group.close()'}, no timer holds the event loop and the process exits by itself`, async () => {
      // The child's metadata age is 10 minutes: a timer of it left behind fails this test by its timeout.
      const { code, out, err } = await runChild(how, 90_000);
      expect(code, err).toBe(0);
      const report = JSON.parse(out.trim().split('\n').pop()!) as { read: number; resources: string[] };
      expect(report.read).toBeGreaterThanOrEqual(10);
      expect(report.resources.filter((r) => r === 'Timeout' || r === 'Immediate')).toEqual([]);
    }, 120_000);
  }
});
