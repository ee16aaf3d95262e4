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
  writeFileSync,
  existsSync,
  statSync,
} from 'node:fs';
import { open as openAsync } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { fsyncDir, writeFileAtomic } from './atomic-file.js';
import { atomicWriteSuffix } from './core/leftovers.js';
import { FolderLock } from './folder-lock.js';
import { writeBehind } from './write-behind.js';

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
  /**
   * Replaces a whole small file by a temp file and a rename, without an fsync: a crash of
   * the process leaves the old or the new content, a power loss possibly neither (an
   * empty file). The caller makes it durable later (an fsync of the file and the folder).
   */
  writeReplacing?(name: string, data: Uint8Array): void;
  /** The whole content of a small file, or undefined if it does not exist. */
  readAll(name: string): Buffer | undefined;
  /** Makes renames and removals in the folder durable. */
  syncDir(): void;
  /** `syncDir` off the main thread. */
  syncDirAsync(): Promise<void>;
  /** Whether opening the store created its folder, which then holds nothing (a listing can be skipped). */
  readonly created?: boolean;
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
  /**
   * Optional: when an append of `length` bytes would be deferred to the write-behind
   * thread now, defers it and returns where in `writeBehind.reserved` the caller must put
   * its bytes, at once; otherwise -1 (then the caller appends). See {@link appendFilled}.
   */
  deferAppend?(length: number): number;
  /** Writes at a position (index files rewritten in place). */
  writeAt(buf: Uint8Array, position: number): void;
  truncate(size: number): void;
  /** fdatasync off the main thread. */
  sync(): Promise<void>;
  syncNow(): void;
  close(): void;
  /** Creates the file now if it was opened with `create` and not yet written (files are otherwise created on first write). */
  materialize?(): void;
  /** Notes that the file's content is known durable (recovery trusted it), so a sync with nothing written since can be skipped. */
  markClean?(): void;
  /** Whether the file exists on disk (one opened with `create` is created at its first write); true if the store cannot say. */
  readonly onDisk?: boolean;
}

/**
 * The most segment and index files a thread keeps open at once. Why a bound: a broker
 * hosting 10,000 partitions held one descriptor per partition's active segment, past the
 * 1,024 many systems allow a process by default. Files past the bound are closed and
 * reopened on their next use (a file with an fdatasync in flight is never closed).
 * Closing a descriptor loses nothing: the written bytes are in the page cache, and a
 * later fdatasync through a new descriptor flushes the file's dirty pages all the same
 * (Linux syncs the inode, not the descriptor).
 *
 * The default is the process's soft limit on descriptors (Linux's `/proc/self/limits`)
 * less 8,192 left for sockets and everything else, but at least a quarter of the limit
 * and at least 64, at most 65,536: 256 under the common 1,024, 11,808 under 20,000 (this
 * machine), 57,344 under 65,536; the environment variable `TRIBUTARY_OPEN_FILES_MAX`
 * overrides it. The price of a bound below the partitions written in turn: a keyed
 * producer over 10,000 partitions reopens most files it appends to (at most 4,096 open,
 * the earlier default: 0.23 of one partition's rate, where an open cost 1-2 ms under
 * load; with all 10,000 open, see bench/results/2026-12-07b-partitions.md); raise the
 * process's limit for such a workload.
 */
export const openFilesMaxDefault = defaultOpenFilesMax();
let openFilesMax = openFilesMaxDefault;

function defaultOpenFilesMax(): number {
  const configured = Number(process.env.TRIBUTARY_OPEN_FILES_MAX);
  if (Number.isSafeInteger(configured) && configured >= 1) return configured;
  let soft = 1024;
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (m !== null) soft = Number(m[1]);
  } catch {
    // No /proc: assume the common default.
  }
  return Math.max(64, Math.min(65_536, Math.max(Math.floor(soft / 4), soft - 8192)));
}

/**
 * Files with an open descriptor, in no order. Which one to close: one picked at random,
 * skipping one used since it was last looked at (a second chance). Why not least recently
 * used: a keyed producer writes to every partition in turn, and with more partitions than
 * the bound, LRU closes exactly the file needed next, every time (every append reopened
 * its file: 6,000 records/s over 1,000 partitions with 512 open, against 45,000 with all
 * open). Random replacement keeps about bound/partitions of those appends on an open file,
 * and costs nothing per access (LRU moved the file in a list on every read and write).
 */
const openFiles: DiskFile[] = [];

/** @internal Sets the bound on open files (tests use a small one); returns the previous one. */
export function setOpenFilesMax(max: number): number {
  const previous = openFilesMax;
  openFilesMax = Math.max(1, Math.floor(max));
  evictOpenFiles();
  return previous;
}

/** @internal How many segment and index files this thread holds open now. */
export function openFileCount(): number {
  return openFiles.length;
}

/** Closes descriptors until at most `max` are open (files with a sync in flight stay). */
function evictOpenFiles(max = openFilesMax): void {
  let tries = 0;
  while (openFiles.length > max && tries < openFiles.length * 4) {
    tries++;
    const f = openFiles[Math.floor(Math.random() * openFiles.length)]!;
    if (f.pinned) continue;
    if (f.used) {
      f.used = false;
      continue;
    }
    f.closeDescriptor();
  }
}

/**
 * The most fdatasyncs a thread has in flight at once; more wait their turn. Why: each
 * holds its file's descriptor open, and a broker closing 10,000 logs at once would
 * otherwise hold 10,000 descriptors; libuv runs 4 at a time anyway.
 */
const syncsInFlightMax = 32;
let syncsInFlight = 0;
const syncQueue: (() => void)[] = [];

function startSyncWhenFree(start: () => void): void {
  if (syncsInFlight < syncsInFlightMax) {
    syncsInFlight++;
    start();
  } else syncQueue.push(start);
}

function syncDone(): void {
  const next = syncQueue.shift();
  if (next !== undefined) next();
  else syncsInFlight--;
}

/** Options of a `FileStore`. */
export interface FileStoreOptions {
  /**
   * Lock the folder (default true). A broker's `LogManager` passes false: the whole data
   * folder is locked once by its `Cluster`, and a lock per partition cost a topic of
   * 10,000 partitions 10,000 lock files (4 file-system calls each) at creation.
   */
  readonly lock?: boolean;
  /** Called once, before this store creates its first file (files are created lazily). */
  readonly beforeFirstFile?: () => void;
}

/**
 * Files in a folder on disk. The folder is created at once (a broker reopens, after a
 * restart, the replicas whose folders exist); the files in it when first written.
 */
export class FileStore implements Store {
  private readonly lock: FolderLock | undefined;
  readonly description: string;
  private firstFileDone = false;
  /** Whether this store created its folder (so the folder holds nothing yet). */
  readonly created: boolean;

  /**
   * `dir` with a separator: a file's path is this and its name (a `path.join` per file
   * opened cost 1 KB of garbage, and one per store 800 bytes: 8 MiB for 10,000 new
   * partitions). The kernel resolves it as the joined path; it need not be normalized.
   */
  private readonly prefix: string;
  /** Whether this store created its folder and has not yet made the folder's own entry durable. */
  private parentUnsynced: boolean;

  constructor(readonly dir: string, private readonly options: FileStoreOptions = {}) {
    this.prefix = dir === '' ? '' : dir.endsWith(sep) ? dir : dir + sep;
    this.created = mkdirSync(dir, { recursive: true }) !== undefined;
    this.parentUnsynced = this.created;
    if (options.lock ?? true) this.lock = FolderLock.acquire(dir);
    this.description = dir;
  }

  /** Called before a file is created in the folder. @internal */
  beforeCreate(): void {
    if (this.firstFileDone) return;
    this.firstFileDone = true;
    this.options.beforeFirstFile?.();
  }

  list(): string[] {
    return readdirSync(this.dir);
  }
  exists(name: string): boolean {
    return existsSync(join(this.dir, name));
  }
  open(name: string, create: boolean): StoreFile {
    return new DiskFile(this.prefix + name, create, this);
  }
  /**
   * Whether the folder is known to hold nothing: this store created it and has created no
   * file in it since (every creation passes `beforeCreate`). A new partition's segment file
   * then needs no `stat` to learn it is missing.
   */
  get empty(): boolean {
    return this.created && !this.firstFileDone;
  }
  remove(name: string): void {
    rmSync(join(this.dir, name), { force: true });
  }
  rename(from: string, to: string): void {
    renameSync(join(this.dir, from), join(this.dir, to));
  }
  writeAtomic(name: string, data: Uint8Array): void {
    this.beforeCreate();
    writeFileAtomic(this.dir, name, data, atomicWriteSuffix);
  }
  writeReplacing(name: string, data: Uint8Array): void {
    this.beforeCreate();
    const tmp = join(this.dir, `${name}${atomicWriteSuffix}`);
    writeFileSync(tmp, data);
    renameSync(tmp, join(this.dir, name));
  }
  readAll(name: string): Buffer | undefined {
    try {
      return readFileSync(join(this.dir, name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }
  /**
   * Makes the folder's entries durable; the first time, for a folder this store created,
   * also its own entry in the folder above (a new partition's folder in `node-<id>/`):
   * without it a power loss could lose the folder of a partition whose first record was
   * acknowledged under `flush.messages=1`.
   */
  syncDir(): void {
    fsyncDir(this.dir);
    if (this.parentUnsynced) {
      this.parentUnsynced = false;
      fsyncDir(dirname(this.dir));
    }
  }
  async syncDirAsync(): Promise<void> {
    const parent = this.parentUnsynced ? ((this.parentUnsynced = false), dirname(this.dir)) : undefined;
    await Promise.all([syncFolderAsync(this.dir), parent === undefined ? undefined : syncFolderAsync(parent)]);
  }
  release(): void {
    this.lock?.release();
  }
  forget(): void {
    this.lock?.forget();
  }
}

/**
 * Appends `buf`'s first `length` bytes, or with `fill` the `length` bytes that
 * `fill(dst, at)` writes: into the write-behind session's buffer when the file defers the
 * append (one copy of a leader's small batch, not a stamp in a scratch buffer and a copy
 * into the session), else into `buf` from 0, which is then appended. `fill` must write
 * exactly `length` bytes and keep nothing.
 */
export function appendFilled(file: StoreFile, buf: Buffer, length: number, fill: ((dst: Buffer, at: number) => void) | undefined): void {
  if (fill === undefined) return file.append(buf, 0, length);
  const at = file.deferAppend === undefined ? -1 : file.deferAppend(length);
  if (at >= 0) return fill(writeBehind.reserved, at);
  fill(buf, 0);
  file.append(buf, 0, length);
}

class DiskFile implements StoreFile {
  private fdValue = -1;
  size: number;
  private closed = false;
  /** Whether the file exists on disk (a lazily created one does not until its first write). */
  private exists: boolean;
  /** Bytes written since the last fdatasync began: a file with none needs no sync. */
  private dirty = false;
  /** fdatasyncs in flight: their descriptor must stay open. */
  private syncsInFlight = 0;
  /** Where the file is in `openFiles` while its descriptor is open. */
  slot = -1;
  /** Used since the eviction last looked at it (a second chance). */
  used = false;
  /** The write-behind session of its last deferred append (0: none); write-behind.ts. */
  deferredSeq = 0;

  constructor(readonly path: string, create: boolean, private readonly store: FileStore) {
    // Without throwing for a missing file: a new partition's segment file is missing, and
    // building the ENOENT error cost 25 us of 10,000 partitions' first records (a profile).
    const stat = create && store.empty ? undefined : statSync(path, { throwIfNoEntry: !create });
    this.exists = stat !== undefined;
    this.size = stat?.size ?? 0;
    // What an earlier process wrote may still be only in the page cache.
    this.dirty = this.exists;
  }

  markClean(): void {
    this.dirty = false;
  }

  get onDisk(): boolean {
    return this.exists;
  }

  /**
   * Not closed by the eviction: an fdatasync in flight holds the descriptor. Deferred
   * appends in flight do not pin it (closing waits for them): with more partitions in a
   * request's flight than the bound, pinning them would take the process past its limit.
   */
  get pinned(): boolean {
    return this.syncsInFlight > 0;
  }

  /** Before any use but a deferred append: the deferred appends landed (write-behind.ts). */
  private landed(): void {
    if (this.deferredSeq !== 0 && writeBehind.pending(this.deferredSeq)) writeBehind.waitFor(this.deferredSeq);
  }

  /** The descriptor, opening (and creating) the file if needed; marks the file most recently used. */
  private fd(): number {
    if (this.closed) throw new Error(`EBADF: ${this.path} is closed`);
    if (this.fdValue < 0) {
      if (!this.exists) this.store.beforeCreate();
      evictOpenFiles(openFilesMax - 1);
      // Positional writes everywhere ('a' flags would ignore the position on Linux).
      this.fdValue = openSync(this.path, this.exists ? 'r+' : 'w+');
      this.exists = true;
      this.slot = openFiles.length;
      openFiles.push(this);
    }
    this.used = true;
    return this.fdValue;
  }

  /** Closes the descriptor (the file stays usable: its next use reopens it). */
  closeDescriptor(): void {
    if (this.fdValue < 0) return;
    this.landed();
    // Swap-remove from the open set.
    const last = openFiles.pop()!;
    if (last !== this) {
      openFiles[this.slot] = last;
      last.slot = this.slot;
    }
    this.slot = -1;
    const fd = this.fdValue;
    this.fdValue = -1;
    closeSync(fd);
    // The worker forgets a failure of this number before any later file can get it.
    if (this.deferredSeq !== 0) writeBehind.forget(fd);
  }

  materialize(): void {
    if (!this.exists) this.fd();
  }

  read(buf: Buffer, offset: number, length: number, position: number): number {
    if (length <= 0 || position >= this.size) return 0;
    this.landed();
    const fd = this.fd();
    let done = 0;
    while (done < length) {
      const n = readSync(fd, buf, offset + done, length - done, position + done);
      if (n === 0) break;
      done += n;
    }
    return done;
  }
  deferAppend(length: number): number {
    if (!(writeBehind.defers(length) || writeBehind.defersBehind(this.deferredSeq, length))) return -1;
    const at = writeBehind.reserve(this, this.fd(), this.size, length);
    this.size += length;
    this.dirty = true;
    return at;
  }
  append(buf: Uint8Array, offset: number, length: number): void {
    const fd = this.fd();
    if (writeBehind.defers(length) || writeBehind.defersBehind(this.deferredSeq, length)) {
      writeBehind.defer(this, fd, this.size, buf, offset, length);
      this.size += length;
      this.dirty = true;
      return;
    }
    this.landed();
    try {
      let done = 0;
      while (done < length) done += writeSync(fd, buf, offset + done, length - done, this.size + done);
    } catch (err) {
      this.cutBack(fd);
      throw err;
    }
    this.size += length;
    this.dirty = true;
  }
  appendv(buffers: readonly Uint8Array[]): void {
    let total = 0;
    for (const b of buffers) total += b.length;
    if (writeBehind.defersBehind(this.deferredSeq, total)) {
      // Behind a deferred append still in flight: deferred too (write-behind.ts `defersBehind`).
      const fd = this.fd();
      for (const b of buffers) {
        writeBehind.defer(this, fd, this.size, b, 0, b.length);
        this.size += b.length;
      }
      this.dirty = true;
      return;
    }
    this.landed();
    const fd = this.fd();
    try {
      let done = writevSync(fd, buffers as Uint8Array[], this.size);
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
            const n = writeSync(fd, b, off, b.length - off, this.size + done);
            off += n;
            done += n;
          }
        }
      }
    } catch (err) {
      this.cutBack(fd);
      throw err;
    }
    this.size += total;
    this.dirty = true;
  }
  /** After a failed append: drop whatever part of it reached the file (best effort; recovery would cut it too). */
  private cutBack(fd: number): void {
    try {
      ftruncateSync(fd, this.size);
    } catch {
      // The file is in trouble already; the append's own error is the one to report.
    }
  }
  writeAt(buf: Uint8Array, position: number): void {
    this.landed();
    const fd = this.fd();
    let done = 0;
    while (done < buf.length) done += writeSync(fd, buf, done, buf.length - done, position + done);
    if (position + buf.length > this.size) this.size = position + buf.length;
    this.dirty = true;
  }
  truncate(size: number): void {
    this.landed();
    ftruncateSync(this.fd(), size);
    this.size = size;
    this.dirty = true;
  }
  sync(): Promise<void> {
    if (!this.exists || (!this.dirty && this.fdValue < 0)) return Promise.resolve();
    return new Promise((resolve, reject) =>
      startSyncWhenFree(() => {
        let fd: number;
        try {
          if (this.closed) throw new Error(`EBADF: ${this.path} was closed before its sync`);
          this.landed();
          fd = this.fd();
        } catch (err) {
          syncDone();
          reject(err);
          return;
        }
        this.dirty = false;
        this.syncsInFlight++;
        fdatasync(fd, (err) => {
          this.syncsInFlight--;
          syncDone();
          if (err) {
            this.dirty = true;
            reject(err);
          } else resolve();
        });
      }),
    );
  }
  syncNow(): void {
    if (!this.exists || (!this.dirty && this.fdValue < 0)) return;
    this.landed();
    this.dirty = false;
    fdatasyncSync(this.fd());
  }
  close(): void {
    if (this.closed) return;
    this.closeDescriptor();
    this.closed = true;
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

async function syncFolderAsync(dir: string): Promise<void> {
  const handle = await openAsync(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
