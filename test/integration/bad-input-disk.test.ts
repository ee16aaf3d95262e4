/**
 * A data folder damaged while the cluster was down (session 13's sweep of the files a
 * cluster reads at start; `src/storage/recovery.test.ts` holds the partition files): each
 * is a clean recovery, or a typed error naming the file, never an untyped crash or a
 * silently adopted folder.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../src/index.js';
import { useTempDirs } from '../helpers/temp-dirs.js';

const typed = (code: string) => expect.objectContaining({ name: 'TributaryError', code });
const tempDir = useTempDirs('tributary-bad-disk-');

/** A data folder of one node that holds a topic with records, closed cleanly. */
async function dataFolder(): Promise<string> {
  const dataDir = tempDir();
  const cluster = await Cluster.start({ dataDir });
  await cluster.admin().createTopics([{ name: 't' }]);
  await cluster.producer().send('t', [{ value: 'a' }, { value: 'b' }]);
  await cluster.close();
  return dataDir;
}

describe('a damaged data folder at Cluster.start', () => {
  it('a node folder that is a file is KAFKA_STORAGE_ERROR naming it, inline and in a worker', async () => {
    const dataDir = await dataFolder();
    rmSync(join(dataDir, 'node-1'), { recursive: true });
    writeFileSync(join(dataDir, 'node-1'), 'x');
    for (const threads of ['inline', 'worker'] as const) {
      const err = await Cluster.start({ dataDir, threads }).catch((e: unknown) => e);
      expect(err, threads).toEqual(typed('KAFKA_STORAGE_ERROR'));
      expect((err as Error).message).toContain(join(dataDir, 'node-1'));
    }
  });

  it('meta.properties of an unknown version or without a node id is refused, naming the file; the folder is left as it was', async () => {
    const dataDir = await dataFolder();
    const file = join(dataDir, 'node-1', 'meta.properties');
    const good = readFileSync(file, 'utf8');
    // Kafka's MetaProperties reads versions 0 and 1 and refuses any other.
    writeFileSync(file, good.replace('version=1', 'version=9'));
    let err = await Cluster.start({ dataDir }).catch((e: unknown) => e);
    expect(err).toEqual(typed('KAFKA_STORAGE_ERROR'));
    expect((err as Error).message).toContain(`${file} is version 9`);
    expect(readFileSync(file, 'utf8')).toBe(good.replace('version=1', 'version=9'));
    writeFileSync(file, '\u0000\u0001garbage\n=x\n');
    err = await Cluster.start({ dataDir }).catch((e: unknown) => e);
    expect(err).toEqual(typed('INCONSISTENT_CLUSTER_ID'));
    expect((err as Error).message).toBe(`${file} names no node id and no cluster id (this is node 1 of cluster ${good.match(/cluster.id=(.*)/)![1]})`);
    // Put back, the folder opens with its records.
    writeFileSync(file, good);
    await using cluster = await Cluster.start({ dataDir });
    expect((await cluster.admin().listOffsets('t', 'latest'))[0]!.offset).toBe(2);
  });

  // Root ignores chmod; `chattr +i` (an immutable folder: nothing can be created in it) needs
  // root and a filesystem that has it. Where it does not work, the test says so and passes.
  it('a data folder nothing can be written in (chattr +i) is KAFKA_STORAGE_ERROR naming it, inline and in a worker; its records are intact after', async () => {
    const dataDir = await dataFolder();
    try {
      execFileSync('chattr', ['+i', dataDir], { stdio: 'ignore' });
    } catch {
      console.warn('chattr +i is not available here: the read-only data folder case is not run');
      return;
    }
    try {
      for (const threads of ['inline', 'worker'] as const) {
        const err = await Cluster.start({ dataDir, threads }).catch((e: unknown) => e);
        expect(err, threads).toEqual(typed('KAFKA_STORAGE_ERROR'));
        expect((err as Error).message).toContain(`cannot use ${JSON.stringify(dataDir)} as a data folder: cannot write its lock file`);
      }
    } finally {
      execFileSync('chattr', ['-i', dataDir]);
    }
    await using cluster = await Cluster.start({ dataDir });
    expect((await cluster.admin().listOffsets('t', 'latest'))[0]!.offset).toBe(2);
  });

  it('a node folder nothing can be created or removed in (chattr +i) is KAFKA_STORAGE_ERROR naming the file; nothing is left open, so the folder opens once writable again', async () => {
    const dataDir = await dataFolder();
    const nodeDir = join(dataDir, 'node-1');
    try {
      execFileSync('chattr', ['+i', nodeDir], { stdio: 'ignore' });
    } catch {
      console.warn('chattr +i is not available here: the immutable node folder case is not run');
      return;
    }
    try {
      const err = await Cluster.start({ dataDir }).catch((e: unknown) => e);
      expect(err).toEqual(typed('KAFKA_STORAGE_ERROR'));
      expect((err as Error).message).toContain(`cannot open the node folder ${nodeDir}: EPERM`);
    } finally {
      execFileSync('chattr', ['-i', nodeDir]);
    }
    // The metadata quorum the failed start had opened was closed with it (its folder's lock went too).
    await using cluster = await Cluster.start({ dataDir });
    expect((await cluster.admin().listOffsets('t', 'latest'))[0]!.offset).toBe(2);
  });

  it('a meta.properties from before controller.quorum.voters, in a node folder nothing can be created in, is KAFKA_STORAGE_ERROR naming the file; once writable it opens and gets the key', async () => {
    const dataDir = await dataFolder();
    const nodeDir = join(dataDir, 'node-1');
    const file = join(nodeDir, 'meta.properties');
    // What Tributary wrote before the voters were recorded: the key is added at the next open.
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^controller\.quorum\.voters=.*\n/m, ''));
    try {
      execFileSync('chattr', ['+i', nodeDir], { stdio: 'ignore' });
    } catch {
      console.warn('chattr +i is not available here: the immutable node folder case is not run');
      return;
    }
    try {
      const err = await Cluster.start({ dataDir }).catch((e: unknown) => e);
      expect(err).toEqual(typed('KAFKA_STORAGE_ERROR'));
      expect((err as Error).message).toContain(file);
      expect((err as Error).message).toContain('EPERM');
    } finally {
      execFileSync('chattr', ['-i', nodeDir]);
    }
    await using cluster = await Cluster.start({ dataDir });
    expect((await cluster.admin().listOffsets('t', 'latest'))[0]!.offset).toBe(2);
    expect(readFileSync(file, 'utf8')).toContain('controller.quorum.voters=1\n');
  });
});
