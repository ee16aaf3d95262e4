import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
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

/**
 * `writeFileAtomic` without blocking the thread: the write, the fsyncs and the rename run
 * on libuv's thread pool. For a periodic checkpoint on a thread that also serves requests:
 * the high watermark checkpoint's two fsyncs took 10-30 ms of the cluster's thread every
 * 5 s on a loaded machine, a stall every request in that window waited out (the e2e
 * latency bench's p99). The caller keeps one write at a time per file (two in flight
 * would race on the temporary file and the rename).
 * @internal
 */
export async function writeFileAtomicAsync(dir: string, name: string, data: Uint8Array | string, tempSuffix = '.tmp'): Promise<void> {
  const tmp = join(dir, `${name}${tempSuffix}`);
  const file = await open(tmp, 'w');
  try {
    await file.writeFile(typeof data === 'string' ? Buffer.from(data) : data);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(tmp, join(dir, name));
  const folder = await open(dir, 'r');
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}
