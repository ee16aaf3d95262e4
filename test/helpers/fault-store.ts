import { basename } from 'node:path';
import { FileStore, type Store, type StoreFile } from '../../src/storage/store.js';

/** A store operation a fault can hit. */
export type StoreOp = 'open-folder' | 'list' | 'open' | 'append' | 'read' | 'sync' | 'writeAtomic' | 'remove';

/** A fault: which folders (by name, such as `orders-0`, under which node folder) and operations fail, and with which errno. */
export interface Fault {
  readonly folder: string;
  /** `node-<id>` whose folder it is; any node when omitted. */
  readonly node?: number;
  readonly ops: readonly StoreOp[];
  readonly errno: 'EACCES' | 'EPERM' | 'ENOSPC' | 'EIO';
}

/** Counts per partition folder (`node-1/orders-0`). */
export interface FolderCounts {
  /** Appends to `.log` files. */
  appends: number;
  /** fdatasync calls on `.log` files begun. */
  syncs: number;
  /** The most appends a completed `.log` sync is known to cover (the append count when it began). */
  covered: number;
}

/**
 * Disk faults and sync counting for a whole cluster: pass `faults.openStore` as the
 * cluster's `openStore`; every partition folder's `FileStore` is wrapped, so a test can
 * make a folder fail as a denied permission (EACCES, what an unreadable folder gives), an
 * immutable file (EPERM) or a full disk (ENOSPC) would, and count the fdatasync calls that
 * cover its appends. Root ignores `chmod`, and `chattr +i` needs a filesystem that has it:
 * injecting the errno is the one way that works everywhere.
 */
export class DiskFaults {
  private readonly active = new Set<Fault>();
  readonly counts = new Map<string, FolderCounts>();

  add(fault: Fault): () => void {
    this.active.add(fault);
    return () => this.active.delete(fault);
  }

  clear(): void {
    this.active.clear();
  }

  countsOf(node: number, folder: string): FolderCounts {
    return this.counts.get(`node-${node}/${folder}`) ?? { appends: 0, syncs: 0, covered: 0 };
  }

  /** Throws the errno of an active fault matching this folder and operation. */
  check(dir: string, op: StoreOp, what: string): void {
    const folder = basename(dir);
    const node = Number(/node-(\d+)/.exec(dir)?.[1] ?? -1);
    for (const f of this.active) {
      if (f.folder === folder && (f.node === undefined || f.node === node) && f.ops.includes(op)) {
        const message = { EACCES: 'permission denied', EPERM: 'operation not permitted', ENOSPC: 'no space left on device', EIO: 'i/o error' }[f.errno];
        throw Object.assign(new Error(`${f.errno}: ${message}, ${op} '${dir}/${what}'`), { code: f.errno, errno: -1, syscall: op });
      }
    }
  }

  private countsFor(dir: string): FolderCounts {
    const key = `${basename(dir.slice(0, dir.lastIndexOf('/')))}/${basename(dir)}`;
    let c = this.counts.get(key);
    if (!c) this.counts.set(key, (c = { appends: 0, syncs: 0, covered: 0 }));
    return c;
  }

  readonly openStore = (dir: string): Store => {
    this.check(dir, 'open-folder', '');
    return new FaultyFileStore(dir, this, this.countsFor(dir));
  };
}

class FaultyFileStore extends FileStore {
  constructor(
    dir: string,
    private readonly faults: DiskFaults,
    private readonly counts: FolderCounts,
  ) {
    super(dir);
  }
  override list(): string[] {
    this.faults.check(this.dir, 'list', '');
    return super.list();
  }
  override remove(name: string): void {
    this.faults.check(this.dir, 'remove', name);
    super.remove(name);
  }
  override writeAtomic(name: string, data: Uint8Array): void {
    this.faults.check(this.dir, 'writeAtomic', name);
    super.writeAtomic(name, data);
  }
  override open(name: string, create: boolean): StoreFile {
    this.faults.check(this.dir, 'open', name);
    const file = super.open(name, create);
    const { faults, counts, dir } = this;
    const isLog = name.endsWith('.log');
    return {
      get size() {
        return file.size;
      },
      read(buf, offset, length, position) {
        faults.check(dir, 'read', name);
        return file.read(buf, offset, length, position);
      },
      append(buf, offset, length) {
        faults.check(dir, 'append', name);
        file.append(buf, offset, length);
        if (isLog) counts.appends++;
      },
      appendv(buffers) {
        faults.check(dir, 'append', name);
        file.appendv(buffers);
        if (isLog) counts.appends++;
      },
      writeAt: (buf, position) => file.writeAt(buf, position),
      truncate: (size) => file.truncate(size),
      async sync() {
        faults.check(dir, 'sync', name);
        const appendsBefore = counts.appends;
        if (isLog) counts.syncs++;
        await file.sync();
        if (isLog) counts.covered = Math.max(counts.covered, appendsBefore);
      },
      syncNow: () => file.syncNow(),
      close: () => file.close(),
    };
  }
}
