import {
  closeSync,
  fdatasync,
  fdatasyncSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeFileSync,
  writeSync,
  writevSync,
  existsSync,
} from 'node:fs';
import { join } from 'node:path';
import { TributaryError } from '../util/errors.js';

/**
 * Where a partition log keeps its files: a folder on disk (`FileStore`) or a map in
 * memory (`MemoryStore`). The log engine is written once against this interface, so the
 * memory log and the file log share every line of segment, index, retention and
 * compaction logic, and one contract suite covers both.
 *
 * Every method is synchronous except `StoreFile.sync`, which runs fdatasync in the
 * thread pool so appends can go on meanwhile (group commit).
 * @internal
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
  /** Releases the folder lock, if any. */
  release(): void;
  readonly description: string;
}

export interface StoreFile {
  readonly size: number;
  /** Reads up to `length` bytes at `position` into `buf[offset...]`; returns bytes read. */
  read(buf: Buffer, offset: number, length: number, position: number): number;
  /** Writes at the end of the file. */
  append(buf: Uint8Array, offset: number, length: number): void;
  /** Writes several buffers at the end of the file, in order, with one system call where it can. */
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
    const tmp = join(this.dir, `${name}.tmp`);
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, join(this.dir, name));
    this.syncDir();
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
    const fd = openSync(this.dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
  release(): void {
    this.lock.release();
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
    let done = 0;
    while (done < length) done += writeSync(this.fd, buf, offset + done, length - done, this.size + done);
    this.size += length;
  }
  appendv(buffers: readonly Uint8Array[]): void {
    let total = 0;
    for (const b of buffers) total += b.length;
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
    this.size += total;
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

/**
 * An exclusive lock on a folder, held for as long as a log is open in it.
 *
 * Within the process a registry of locked folders refuses a second open at once. Across
 * processes a `.lock` file holds the owner's pid: a folder whose lock names a live other
 * process is refused; a lock naming a dead process (one killed with SIGKILL leaves its
 * lock behind) or this same process without a registry entry (a log abandoned without
 * close, as tests of crashes do) is stale and taken over. Node has no portable flock;
 * the pid check is what PostgreSQL's postmaster.pid does, and shares its one weakness: a
 * pid reused by an unrelated live process makes a stale lock look held, which errs on
 * the safe side (a clear error, never two writers).
 */
class FolderLock {
  private static readonly held = new Set<string>();
  private released = false;

  private constructor(private readonly dir: string) {}

  static acquire(dir: string): FolderLock {
    if (FolderLock.held.has(dir)) {
      throw new TributaryError('LOG_DIR_LOCKED', `${dir} is already open in this process`);
    }
    const path = join(dir, '.lock');
    const mine = `${process.pid}\n`;
    try {
      writeFileSync(path, mine, { flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number.parseInt(readFileSync(path, 'utf8'), 10);
      if (Number.isInteger(owner) && owner !== process.pid && isAlive(owner)) {
        throw new TributaryError('LOG_DIR_LOCKED', `${dir} is locked by process ${owner}`);
      }
      // Stale: take it over atomically.
      writeFileSync(`${path}.${process.pid}`, mine);
      renameSync(`${path}.${process.pid}`, path);
    }
    FolderLock.held.add(dir);
    return new FolderLock(dir);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    FolderLock.held.delete(this.dir);
    try {
      unlinkSync(join(this.dir, '.lock'));
    } catch {
      // Already gone (the folder was removed); nothing to release.
    }
  }

  /** Forgets the in-process registration but leaves the lock file, as a crash would. */
  static forget(dir: string): void {
    FolderLock.held.delete(dir);
  }
}

export function forgetFolderLock(dir: string): void {
  FolderLock.forget(dir);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
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
  release(): void {}
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
