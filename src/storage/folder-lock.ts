import { linkSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { TributaryError } from '../util/errors.js';
import { atomicWriteSuffix, lockFilePrefix } from './core/leftovers.js';

/**
 * Creates a data folder (and its parents) if it is missing. A path that cannot be a folder
 * (a file is in the way, no permission) is `KAFKA_STORAGE_ERROR` naming the path, as Kafka
 * reports a log directory it cannot use, rather than the file system's bare error.
 */
export function makeDataDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EEXIST' || code === 'ENOTDIR' ? 'a file is in the way (it must be a folder, or not exist yet)' : (err as Error).message;
    throw new TributaryError('KAFKA_STORAGE_ERROR', `cannot use ${JSON.stringify(dir)} as a data folder: ${why}`, { option: 'dataDir', cause: err });
  }
}

/**
 * An exclusive lock on a folder, held for as long as a log (or a whole cluster) is open in
 * it. Three owners must be told apart: this thread, another thread of this process (a
 * worker), and another process.
 *
 * - **This thread**: a registry keyed by the folder's *identity*, its device and inode
 *   numbers, refuses a second open at once. Keying by identity rather than by path means
 *   that a symlink, a relative path, `a/../a` or a bind mount reach the same entry.
 * - **Another thread or process**: a `.lock` file names its owner: the pid, the process's
 *   start time (field 22 of `/proc/<pid>/stat`), and, on Linux, the OS thread id of the
 *   opening thread (from `/proc/thread-self`) with that thread's start time. A lock naming
 *   a live other process, or a live other thread of this process, is refused with
 *   `LOG_DIR_LOCKED`.
 *
 * Why a thread id in the file: worker threads share the pid, and they share no memory
 * unless it is handed to them (a registry in a module is one per thread), so a pid alone
 * cannot tell "a worker of this process holds it" from "this process abandoned it". OS
 * thread ids are checked like pids: `/proc/<pid>/task/<tid>` exists while the thread
 * lives, and its start time tells a reused id apart. Where there is no `/proc` (macOS,
 * Windows) the thread is named by Node's `threadId`, which cannot be checked for life: a
 * lock of another thread of this process is then always taken as held (a clear error
 * rather than two writers; a worker that died without closing leaves it until the process
 * ends).
 *
 * A lock is stale, and taken over, when its process is dead (a SIGKILLed process leaves
 * its lock behind), when its pid now belongs to a process that started at another time
 * (pids are reused across container restarts), when its thread is dead, or when it names
 * this very thread but the registry does not hold it (a log abandoned without close, as
 * crash tests do). Locks written before thread ids were recorded name only a pid; one
 * naming this process is taken as abandoned, as before.
 *
 * Why not flock: Node has no portable advisory lock, and fcntl locks are per process (they
 * do not stop a worker thread). The pid check is what PostgreSQL's postmaster.pid does. Its
 * limits: a folder shared between machines (NFS) is not protected, and two processes that
 * find the same stale lock at the same instant race on the takeover (each re-reads the lock
 * after taking it, which narrows the window to the gap between two renames).
 * @internal
 */
/** What a refused open says to do (a Cluster's or a PartitionLog's folder: both take `dataDir`). */
const remedy = 'close the Cluster (or log) that has it open first, or pass another dataDir';

export class FolderLock {
  /** Folders locked by this thread: identity -> path. */
  private static readonly held = new Map<string, string>();
  private released = false;

  private constructor(
    private readonly dir: string,
    private readonly identity: string,
    private readonly fileName: string,
  ) {}

  /** Locks `dir` (which must exist), or throws `LOG_DIR_LOCKED`. `fileName` is the lock file's name in it. */
  static acquire(dir: string, fileName = lockFilePrefix): FolderLock {
    const identity = folderIdentity(dir);
    const key = `${identity}/${fileName}`;
    const other = FolderLock.held.get(key);
    if (other !== undefined) {
      const alias = other === dir ? '' : ` (as ${other})`;
      throw new TributaryError('LOG_DIR_LOCKED', `${dir} is already open in this thread${alias}: ${remedy}`);
    }
    const path = join(dir, fileName);
    const mine = ownerLine();
    // The lock file appears with its content in one step (a hard link to a finished
    // temporary file; link fails if the name exists), so no one ever reads a lock that
    // exists but does not yet name its owner.
    const tmp = `${path}.${process.pid}-${threadId}${atomicWriteSuffix}`;
    try {
      writeFileSync(tmp, mine);
    } catch (err) {
      // A read-only folder (EROFS, an immutable one's EPERM, EACCES): the folder is named.
      throw new TributaryError('KAFKA_STORAGE_ERROR', `cannot use ${JSON.stringify(dir)} as a data folder: cannot write its lock file (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { option: 'dataDir', cause: err });
    }
    try {
      linkSync(tmp, path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new TributaryError('KAFKA_STORAGE_ERROR', `cannot use ${JSON.stringify(dir)} as a data folder: cannot write its lock file (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { option: 'dataDir', cause: err });
      const owner = parseOwner(readFileOrEmpty(path));
      if (owner !== undefined && isHeld(owner)) {
        const who = owner.pid === process.pid ? `another thread of this process (thread ${owner.thread})` : `process ${owner.pid}`;
        throw new TributaryError('LOG_DIR_LOCKED', `${dir} is locked by ${who}: ${remedy}`);
      }
      // Stale: take it over atomically, then check that no one else did the same in
      // between (the last rename wins; the loser sees the winner's line).
      renameSync(tmp, path);
      if (readFileOrEmpty(path) !== mine) {
        throw new TributaryError('LOG_DIR_LOCKED', `${dir} was taken over by another owner at the same time`);
      }
    } finally {
      rmSync(tmp, { force: true });
    }
    // Temporary files of takeovers that died midway (their process is gone).
    for (const name of readdirSync(dir)) {
      const m = /^\.lock\.(\d+)(?:-\d+)?\.tmp$/.exec(name);
      if (m !== null && !isAlive(Number(m[1]))) rmSync(join(dir, name), { force: true });
    }
    FolderLock.held.set(key, dir);
    return new FolderLock(dir, key, fileName);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    FolderLock.held.delete(this.identity);
    try {
      unlinkSync(join(this.dir, this.fileName));
    } catch {
      // Already gone (the folder was removed); nothing to release.
    }
  }

  /** Forgets the in-thread registration but leaves the lock file, as a crash would. */
  forget(): void {
    if (this.released) return;
    this.released = true;
    FolderLock.held.delete(this.identity);
  }
}

/** A folder's identity: device and inode, the same through every path that reaches it. */
export function folderIdentity(dir: string): string {
  const s = statSync(dir, { bigint: true });
  return `${s.dev}:${s.ino}`;
}

interface LockOwner {
  readonly pid: number;
  /** The process's start time in clock ticks since boot, if known. */
  readonly startTime: string | undefined;
  /** `tid:<os thread id>:<start>` on Linux, `node:<threadId>` elsewhere; undefined in locks of older versions. */
  readonly thread: string | undefined;
}

/** This thread's name in a lock file. */
function threadName(): string {
  try {
    // "/proc/<pid>/task/<tid>": the calling OS thread (Linux 3.17+).
    const tid = readlinkSync('/proc/thread-self').split('/').pop()!;
    const start = taskStartTime(process.pid, tid);
    if (start !== undefined) return `tid:${tid}:${start}`;
  } catch {
    // No /proc: fall back to Node's thread id.
  }
  return `node:${threadId}`;
}

let ownThread: string | undefined;

function ownerLine(): string {
  ownThread ??= threadName();
  const start = processStartTime(process.pid);
  return `${process.pid} ${start ?? '-'} ${ownThread}\n`;
}

function parseOwner(text: string): LockOwner | undefined {
  const [pidText, startTime, thread] = text.trim().split(' ');
  const pid = Number(pidText);
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  return { pid, startTime: startTime === '-' ? undefined : startTime, thread };
}

/** Whether the lock's owner is alive and is not this thread's abandoned log. */
function isHeld(owner: LockOwner): boolean {
  if (owner.pid === process.pid) {
    ownThread ??= threadName();
    if (owner.thread === undefined || owner.thread === ownThread) return false;
    const m = /^tid:(\d+):(\d+)$/.exec(owner.thread);
    // Another thread named by Node's threadId: its life cannot be checked; assume it lives.
    if (m === null) return true;
    return taskStartTime(process.pid, m[1]!) === m[2];
  }
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

/** Field 22 of a stat file (start time in clock ticks since boot). */
function startTimeIn(statFile: string): string | undefined {
  try {
    const stat = readFileSync(statFile, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return undefined;
  }
}

function processStartTime(pid: number): string | undefined {
  return startTimeIn(`/proc/${pid}/stat`);
}

function taskStartTime(pid: number, tid: string): string | undefined {
  return startTimeIn(`/proc/${pid}/task/${tid}/stat`);
}

function readFileOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
