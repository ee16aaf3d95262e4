import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Writes a small file so that a crash leaves either its old content or its new content,
 * never a mix: write `<name><tempSuffix>`, fsync it, rename it over `name`, fsync the
 * folder (so the rename itself survives power loss). Checkpoints, the Raft vote and
 * snapshots all go through here.
 * @internal
 */
export function writeFileAtomic(dir: string, name: string, data: Uint8Array | string, tempSuffix = '.tmp'): void {
  const tmp = join(dir, `${name}${tempSuffix}`);
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, join(dir, name));
  fsyncDir(dir);
}

/** fsync of a folder: makes the creations, renames and removals in it durable. @internal */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
