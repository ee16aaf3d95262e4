import { mkdtempSync } from 'node:fs';
import { lstat, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The data folder of a cluster started without `dataDir`: a fresh `tributary-XXXXXX` in the
 * system's temporary folder. A closing cluster renames its folder to `<name>.closed` and
 * deletes it in the background (`Cluster.removeOwnDir`); a process that is killed or made
 * to exit meanwhile (a test runner ending its workers, say) leaves the rest behind. So each
 * new one also removes a few such leftovers of this user, older than a minute, in the
 * background: at most `sweepMax` a start, so a start never waits on them and a process that
 * starts one cluster and exits is not held up by thousands, while every start clears more
 * than one killed process can leave.
 * @internal
 */
export function makeEphemeralDir(): string {
  const parent = tmpdir();
  const dir = mkdtempSync(join(parent, 'tributary-'));
  lastSweep = sweepClosedDirs(parent).catch(() => 0);
  return dir;
}

let lastSweep: Promise<number> | undefined;

/** The background sweep of the last `makeEphemeralDir` (for tests): how many folders it removed. @internal */
export function lastEphemeralSweep(): Promise<number> | undefined {
  return lastSweep;
}

/** A folder `removeOwnDir` renamed away: what `mkdtemp` made, plus the suffix. */
const closedName = /^tributary-[A-Za-z0-9]{6}\.closed$/;

/**
 * Removes up to `max` folders named like a closed cluster's in `parent` that belong to this
 * user and were last changed more than `staleAfterMs` ago; resolves with how many. A
 * symbolic link, a file, another user's folder or a recent one is left alone (a process
 * may still be deleting it; deleting twice would be harmless, only wasted work).
 * @internal
 */
export async function sweepClosedDirs(parent: string, max = 4, staleAfterMs = 60_000, nowMs = Date.now()): Promise<number> {
  const uid = process.getuid?.();
  let removed = 0;
  for (const name of await readdir(parent)) {
    if (removed >= max) break;
    if (!closedName.test(name)) continue;
    const path = join(parent, name);
    try {
      const s = await lstat(path);
      if (!s.isDirectory() || (uid !== undefined && s.uid !== uid) || nowMs - s.mtimeMs < staleAfterMs) continue;
      await rm(path, { recursive: true, force: true });
      removed++;
    } catch {
      // gone already, or not ours to remove
    }
  }
  return removed;
}
