/**
 * DescribeLogDirs (35): Kafka's `ReplicaManager.describeLogDirs`, kept out of the replica
 * manager. A Tributary node has one log folder, its node folder (`<dataDir>/node-<id>`,
 * Kafka's `log.dirs` with one entry; DescribeConfigs reports the same path). For it the
 * answer lists each partition replica this node has open, with:
 *
 * - `partitionSize`: the bytes of its segment files (`PartitionLog.sizeInBytes`, Kafka's
 *   `UnifiedLog.size`);
 * - `offsetLag`: Kafka's `getLogEndOffsetLag` for a current log, `max(high watermark - log
 *   end offset, 0)`: 0 on a leader and on a follower that has what the leader committed;
 * - `isFutureKey` false: Tributary never moves a replica between folders
 *   (AlterReplicaLogDirs is not served);
 * - v4: the file system's total and usable bytes (`statfs`), as Kafka's `FileStore`
 *   `getTotalSpace` and `getUsableSpace`; -1 when they cannot be read.
 *
 * A null topic list describes every replica; otherwise only the named partitions that are
 * here (Kafka leaves out the others, with no error). A node that keeps its logs in memory
 * (no data folder) has no log folder to describe: an empty list.
 * @internal
 */
import { statfs } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { MetadataImage } from '../metadata/image.js';
import { ApiKey } from '../protocol/api-keys.js';
import type * as P from '../protocol/index.js';
import type { Partition } from './partition.js';

export interface LogDirsSource {
  readonly nodeId: number;
  /** The node's folder, when its logs are files. */
  readonly dataDir: string | undefined;
  readonly image: MetadataImage | undefined;
  /** This node's open replica of a partition. */
  replica(topic: string, partition: number): Partition | undefined;
}

export async function describeLogDirs(source: LogDirsSource, req: P.DescribeLogDirsRequest): Promise<P.DescribeLogDirsResponse> {
  if (source.dataDir === undefined) return { apiKey: ApiKey.DescribeLogDirs, errorCode: 'NONE', results: [], throttleTimeMs: 0 };
  const topics: { name: string; partitions: P.DescribeLogDirsPartition[] }[] = [];
  const describe = (name: string, indexes: Iterable<number>): void => {
    const partitions: P.DescribeLogDirsPartition[] = [];
    for (const index of indexes) {
      const replica = source.replica(name, index);
      if (replica === undefined) continue;
      const lag = Math.max(replica.highWatermark - replica.log.logEndOffset, 0);
      partitions.push({ partitionIndex: index, partitionSize: replica.log.sizeInBytes, offsetLag: lag, isFutureKey: false });
    }
    if (partitions.length > 0) topics.push({ name, partitions });
  };
  if (req.topics === null) {
    // Every replica this node holds, by the metadata's topics (what is open is a subset).
    for (const t of source.image?.topics() ?? []) {
      describe(t.name, t.partitions.flatMap((reg, index) => (reg.replicas.includes(source.nodeId) ? [index] : [])));
    }
  } else {
    for (const t of req.topics) describe(t.topic, new Set(t.partitions));
  }
  let totalBytes = -1;
  let usableBytes = -1;
  try {
    const fs = await statfs(source.dataDir);
    totalBytes = fs.blocks * fs.bsize;
    usableBytes = fs.bavail * fs.bsize;
  } catch {
    // Unknown sizes are -1 in Kafka's answer too.
  }
  return { apiKey: ApiKey.DescribeLogDirs, errorCode: 'NONE', results: [{ errorCode: 'NONE', logDir: resolve(source.dataDir), topics, totalBytes, usableBytes }], throttleTimeMs: 0 };
}
