/**
 * Leftovers of ephemeral clusters whose process died before their background delete ended
 * (`tributary-XXXXXX.closed` in the temporary folder) are removed by later starts, a few
 * at a time, and nothing else is touched. Real folders in a temporary parent.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Cluster } from '../cluster.js';
import { lastEphemeralSweep, sweepClosedDirs } from './ephemeral-dir.js';

const parents: string[] = [];
function parent(): string {
  const p = mkdtempSync(join(tmpdir(), 'sweep-test-'));
  parents.push(p);
  return p;
}
afterEach(() => {
  for (const p of parents.splice(0)) rmSync(p, { recursive: true, force: true });
});

/** A closed cluster's folder with a file in a node folder, last changed `ageMs` ago. */
function leftover(dir: string, name: string, ageMs: number): void {
  const path = join(dir, name);
  mkdirSync(join(path, 'node-1'), { recursive: true });
  writeFileSync(join(path, 'node-1', '00000000000000000000.log'), 'x');
  const t = (Date.now() - ageMs) / 1000;
  utimesSync(path, t, t);
}

describe('sweeping closed ephemeral folders', () => {
  it('removes stale closed folders of this user, at most max a call, and leaves everything else', async () => {
    const dir = parent();
    for (let i = 0; i < 6; i++) leftover(dir, `tributary-abc${i}ef.closed`, 5 * 60_000);
    leftover(dir, 'tributary-recent.closed', 1_000); // closed a second ago: its process may still be deleting it
    leftover(dir, 'tributary-live01', 5 * 60_000); // not closed: a cluster may be using it
    leftover(dir, 'other-abc123.closed', 5 * 60_000);
    const target = join(dir, 'precious');
    mkdirSync(target);
    writeFileSync(join(target, 'keep'), 'keep');
    symlinkSync(target, join(dir, 'tributary-linked.closed'));
    const t = (Date.now() - 5 * 60_000) / 1000;
    utimesSync(target, t, t);

    expect(await sweepClosedDirs(dir, 4)).toBe(4);
    expect(await sweepClosedDirs(dir, 4)).toBe(2);
    expect(await sweepClosedDirs(dir, 4)).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['other-abc123.closed', 'precious', 'tributary-linked.closed', 'tributary-live01', 'tributary-recent.closed']);
    expect(readdirSync(target)).toEqual(['keep']);
  });

  it('an ephemeral Cluster.start sweeps the temporary folder it makes its own in', async () => {
    const dir = parent();
    leftover(dir, 'tributary-dead01.closed', 10 * 60_000);
    leftover(dir, 'tributary-dead02.closed', 10 * 60_000);
    const before = process.env.TMPDIR;
    process.env.TMPDIR = dir;
    try {
      await using cluster = await Cluster.start();
      expect(cluster.dataDir.startsWith(join(dir, 'tributary-'))).toBe(true);
      expect(await lastEphemeralSweep()).toBe(2);
      expect(readdirSync(dir).filter((n) => n.endsWith('.closed'))).toEqual([]);
    } finally {
      if (before === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = before;
    }
  });
});
