import {
  closeSync,
  fdatasync,
  fdatasyncSync,
  fstatSync,
  ftruncateSync,
  linkSync,
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
import { open as openAsync } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDir, writeFileAtomic } from './atomic-file.js';
import { TributaryError } from '../util/errors.js';
import { atomicWriteSuffix, lockFilePrefix } from './core/leftovers.js';

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
  /** `syncDir` off the main thread. */
  syncDirAsync(): Promise<void>;
  /** Releases the folder lock, if any. */
  release(): void;
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

/**
 * An exclusive lock on a folder, held for as long as a log is open in it.
 *
 * Within the process a registry of locked folders refuses a second open at once. Across
 * processes a `.lock` file names its owner: the pid, and on Linux the process's start
 * time (field 22 of `/proc/<pid>/stat`). A lock naming a live other process is refused
 * with `LOG_DIR_LOCKED`. A lock is stale, and taken over, when its process is dead (a
 * SIGKILLed process leaves its lock behind), when its pid now belongs to a process that
 * started at another time (the pid was reused, as happens across container restarts),
 * or when it names this very process but the registry does not hold it (a log abandoned
 * without close, as crash tests do).
 *
 * Why not flock: Node has no portable advisory lock. The pid check is what PostgreSQL's
 * postmaster.pid does. Its limits: a folder shared between machines (NFS) is not
 * protected, because pids of another host mean nothing here; and two processes that find
 * the same stale lock at the same instant race on the takeover (each re-reads the lock
 * after taking it, which narrows the window to the gap between two renames, but does not
 * close it). Both err towards a clear error rather than two writers in normal operation.
 */
const lockFileName = lockFilePrefix;

class FolderLock {
  private static readonly held = new Set<string>();
  private released = false;

  private constructor(private readonly dir: string) {}

  static acquire(dir: string): FolderLock {
    if (FolderLock.held.has(dir)) {
      throw new TributaryError('LOG_DIR_LOCKED', `${dir} is already open in this process`);
    }
    const path = join(dir, lockFileName);
    const mine = ownerLine(process.pid);
    // The lock file appears with its content in one step (a hard link to a finished
    // temporary file; link fails if the name exists), so no process ever reads a lock
    // that exists but does not yet name its owner.
    const tmp = `${path}.${process.pid}${atomicWriteSuffix}`;
    writeFileSync(tmp, mine);
    try {
      linkSync(tmp, path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = parseOwner(readFileOrEmpty(path));
      if (owner !== undefined && isHeldBy(owner)) {
        throw new TributaryError('LOG_DIR_LOCKED', `${dir} is locked by process ${owner.pid}`);
      }
      // Stale: take it over atomically, then check that no other process did the same
      // in between (the last rename wins; the loser sees the winner's line).
      renameSync(tmp, path);
      if (readFileOrEmpty(path) !== mine) {
        throw new TributaryError('LOG_DIR_LOCKED', `${dir} was taken over by another process at the same time`);
      }
    } finally {
      rmSync(tmp, { force: true });
    }
    // Temporary files of takeovers that died midway (their process is gone).
    for (const name of readdirSync(dir)) {
      const m = /^\.lock\.(\d+)\.tmp$/.exec(name);
      if (m !== null && !isAlive(Number(m[1]))) rmSync(join(dir, name), { force: true });
    }
    FolderLock.held.add(dir);
    return new FolderLock(dir);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    FolderLock.held.delete(this.dir);
    try {
      unlinkSync(join(this.dir, lockFileName));
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

interface LockOwner {
  readonly pid: number;
  /** The process's start time in clock ticks since boot, if known. */
  readonly startTime: string | undefined;
}

function ownerLine(pid: number): string {
  const start = processStartTime(pid);
  return start === undefined ? `${pid}\n` : `${pid} ${start}\n`;
}

function parseOwner(text: string): LockOwner | undefined {
  const [pidText, startTime] = text.trim().split(' ');
  const pid = Number(pidText);
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  return { pid, startTime };
}

/** Whether the lock's owner is a live process other than this one's abandoned log. */
function isHeldBy(owner: LockOwner): boolean {
  if (owner.pid === process.pid) return false;
  if (!isAlive(owner.pid)) return false;
  const now = processStartTime(owner.pid);
  // A live process with that pid, started at another time: the pid was reused.
  return owner.startTime === undefined || now === undefined || now === owner.startTime;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot), where there is a /proc. */
function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return undefined;
  }
}

function readFileOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
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
