import {
  closeSync,
  fdatasync,
  fdatasyncSync,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
  writevSync,
  existsSync,
} from 'node:fs';
import { open as openAsync } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDir, writeFileAtomic } from './atomic-file.js';
import { atomicWriteSuffix } from './core/leftovers.js';
import { FolderLock } from './folder-lock.js';

/**
 * Where a partition log keeps its files: a folder on disk (`FileStore`) or a map in
 * memory (`MemoryStore`). The log engine is written once against this interface, so the
 * memory log and the file log share every line of segment, index, retention and
 * compaction logic, and one contract suite covers both.
 *
 * Every method is synchronous except `StoreFile.sync`, which runs fdatasync in the
 * thread pool so appends can go on meanwhile (group commit).
 */
export interface Store {
  /** Names of the files in the folder. */
  list(): string[];
  exists(name: string): boolean;
  /** Opens a file for reading and writing, creating it empty if `create`. */
  open(name: string, create: boolean): StoreFile;
  remove(name: string): void;
  /** Renames atomically, replacing `to` if it exists. */
  rename(from: string, to: string): void;
  /** Writes a whole small file atomically: temp file, fsync, rename, fsync of the folder. */
  writeAtomic(name: string, data: Uint8Array): void;
  /** The whole content of a small file, or undefined if it does not exist. */
  readAll(name: string): Buffer | undefined;
  /** Makes renames and removals in the folder durable. */
  syncDir(): void;
  /** `syncDir` off the main thread. */
  syncDirAsync(): Promise<void>;
  /** Releases the folder lock, if any. */
  release(): void;
  /** Drops this thread's hold on the folder but leaves its lock file, as a crash would (a log abandoned in tests). */
  forget(): void;
  readonly description: string;
}

export interface StoreFile {
  readonly size: number;
  /** Reads up to `length` bytes at `position` into `buf[offset...]`; returns bytes read. */
  read(buf: Buffer, offset: number, length: number, position: number): number;
  /**
   * Writes at the end of the file. If the write fails (no space, an I/O error), the file
   * is cut back to its size before the call, so a failed append leaves nothing behind,
   * and the error is rethrown.
   */
  append(buf: Uint8Array, offset: number, length: number): void;
  /** Writes several buffers at the end of the file, in order, with one system call where it can; fails as `append` does. */
  appendv(buffers: readonly Uint8Array[]): void;
  /** Writes at a position (index files rewritten in place). */
  writeAt(buf: Uint8Array, position: number): void;
  truncate(size: number): void;
  /** fdatasync off the main thread. */
  sync(): Promise<void>;
  syncNow(): void;
  close(): void;
}

/** Files in a folder on disk. */
export class FileStore implements Store {
  private readonly lock: FolderLock;
  readonly description: string;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.lock = FolderLock.acquire(dir);
    this.description = dir;
  }

  list(): string[] {
    return readdirSync(this.dir);
  }
  exists(name: string): boolean {
    return existsSync(join(this.dir, name));
  }
  open(name: string, create: boolean): StoreFile {
    return new DiskFile(join(this.dir, name), create);
  }
  remove(name: string): void {
    rmSync(join(this.dir, name), { force: true });
  }
  rename(from: string, to: string): void {
    renameSync(join(this.dir, from), join(this.dir, to));
  }
  writeAtomic(name: string, data: Uint8Array): void {
    writeFileAtomic(this.dir, name, data, atomicWriteSuffix);
  }
  readAll(name: string): Buffer | undefined {
    try {
      return readFileSync(join(this.dir, name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }
  syncDir(): void {
    fsyncDir(this.dir);
  }
  async syncDirAsync(): Promise<void> {
    const handle = await openAsync(this.dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
  release(): void {
    this.lock.release();
  }
  forget(): void {
    this.lock.forget();
  }
}

class DiskFile implements StoreFile {
  private readonly fd: number;
  size: number;
  private closed = false;

  constructor(readonly path: string, create: boolean) {
    // Positional writes everywhere ('a' flags would ignore the position on Linux).
    this.fd = openSync(path, create && !existsSync(path) ? 'w+' : 'r+');
    this.size = fstatSync(this.fd).size;
  }
  read(buf: Buffer, offset: number, length: number, position: number): number {
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd, buf, offset + done, length - done, position + done);
      if (n === 0) break;
      done += n;
    }
    return done;
  }
  append(buf: Uint8Array, offset: number, length: number): void {
    try {
      let done = 0;
      while (done < length) done += writeSync(this.fd, buf, offset + done, length - done, this.size + done);
    } catch (err) {
      this.cutBack();
      throw err;
    }
    this.size += length;
  }
  appendv(buffers: readonly Uint8Array[]): void {
    let total = 0;
    for (const b of buffers) total += b.length;
    try {
      let done = writevSync(this.fd, buffers as Uint8Array[], this.size);
      if (done < total) {
        // A short write (rare for regular files): finish buffer by buffer.
        let skip = done;
        for (const b of buffers) {
          if (skip >= b.length) {
            skip -= b.length;
            continue;
          }
          let off = skip;
          skip = 0;
          while (off < b.length) {
            const n = writeSync(this.fd, b, off, b.length - off, this.size + done);
            off += n;
            done += n;
          }
        }
      }
    } catch (err) {
      this.cutBack();
      throw err;
    }
    this.size += total;
  }
  /** After a failed append: drop whatever part of it reached the file (best effort; recovery would cut it too). */
  private cutBack(): void {
    try {
      ftruncateSync(this.fd, this.size);
    } catch {
      // The file is in trouble already; the append's own error is the one to report.
    }
  }
  writeAt(buf: Uint8Array, position: number): void {
    let done = 0;
    while (done < buf.length) done += writeSync(this.fd, buf, done, buf.length - done, position + done);
    if (position + buf.length > this.size) this.size = position + buf.length;
  }
  truncate(size: number): void {
    ftruncateSync(this.fd, size);
    this.size = size;
  }
  sync(): Promise<void> {
    return new Promise((resolve, reject) => fdatasync(this.fd, (err) => (err ? reject(err) : resolve())));
  }
  syncNow(): void {
    fdatasyncSync(this.fd);
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}

/** Files in memory: the same contract, for `MemoryLog`. Nothing is durable; sync is immediate. */
export class MemoryStore implements Store {
  private readonly files = new Map<string, MemoryFile>();
  readonly description = 'memory';

  list(): string[] {
    return [...this.files.keys()];
  }
  exists(name: string): boolean {
    return this.files.has(name);
  }
  open(name: string, create: boolean): StoreFile {
    let f = this.files.get(name);
    if (!f) {
      if (!create) throw new Error(`ENOENT: ${name}`);
      f = new MemoryFile();
      this.files.set(name, f);
    }
    return f;
  }
  remove(name: string): void {
    this.files.delete(name);
  }
  rename(from: string, to: string): void {
    const f = this.files.get(from);
    if (!f) throw new Error(`ENOENT: ${from}`);
    this.files.delete(from);
    this.files.set(to, f);
  }
  writeAtomic(name: string, data: Uint8Array): void {
    const f = new MemoryFile();
    f.append(data, 0, data.length);
    this.files.set(name, f);
  }
  readAll(name: string): Buffer | undefined {
    const f = this.files.get(name);
    if (!f) return undefined;
    const out = Buffer.allocUnsafe(f.size);
    f.read(out, 0, f.size, 0);
    return out;
  }
  syncDir(): void {}
  syncDirAsync(): Promise<void> {
    return Promise.resolve();
  }
  release(): void {}
  forget(): void {}
}

class MemoryFile implements StoreFile {
  private buf = Buffer.allocUnsafe(0);
  size = 0;

  private reserve(bytes: number): void {
    if (bytes <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(bytes, this.buf.length * 2, 4096));
    this.buf.copy(next, 0, 0, this.size);
    this.buf = next;
  }
  read(buf: Buffer, offset: number, length: number, position: number): number {
    const n = Math.max(0, Math.min(length, this.size - position));
    this.buf.copy(buf, offset, position, position + n);
    return n;
  }
  append(data: Uint8Array, offset: number, length: number): void {
    this.reserve(this.size + length);
    this.buf.set(data.subarray(offset, offset + length), this.size);
    this.size += length;
  }
  appendv(buffers: readonly Uint8Array[]): void {
    for (const b of buffers) this.append(b, 0, b.length);
  }
  writeAt(data: Uint8Array, position: number): void {
    this.reserve(position + data.length);
    if (position > this.size) this.buf.fill(0, this.size, position);
    this.buf.set(data, position);
    this.size = Math.max(this.size, position + data.length);
  }
  truncate(size: number): void {
    if (size > this.size) this.reserve(size);
    this.size = size;
  }
  sync(): Promise<void> {
    return Promise.resolve();
  }
  syncNow(): void {}
  close(): void {}
}
