/**
 * DescribeLogDirs (35), shaped after Kafka's `DescribeLogDirsRequest.json` and
 * `DescribeLogDirsResponse.json` at the versions in `api-keys.ts`: each log folder of a
 * broker (Tributary's node folder), and in it each partition replica's size on disk and
 * how far its log end offset is behind the high watermark.
 */
import type { ErrorCode } from '../util/error-codes.js';
import type { ApiKey } from './api-keys.js';

export interface DescribeLogDirsRequest {
  readonly apiKey: typeof ApiKey.DescribeLogDirs;
  /** The partitions to describe, or null for every partition in the broker's folders. */
  readonly topics: readonly { readonly topic: string; readonly partitions: readonly number[] }[] | null;
}

export interface DescribeLogDirsPartition {
  readonly partitionIndex: number;
  /** The bytes of the replica's segment files. */
  readonly partitionSize: number;
  /** Kafka's `max(high watermark - log end offset, 0)` for a current log. */
  readonly offsetLag: number;
  /** Whether this is a log being moved to this folder (never, in Tributary). */
  readonly isFutureKey: boolean;
}

export interface DescribeLogDirsResult {
  readonly errorCode: ErrorCode;
  /** The folder's absolute path. */
  readonly logDir: string;
  readonly topics: readonly { readonly name: string; readonly partitions: readonly DescribeLogDirsPartition[] }[];
  /** The file system's size and the bytes free to this process (v4+), -1 when unknown. */
  readonly totalBytes?: number;
  readonly usableBytes?: number;
}

export interface DescribeLogDirsResponse {
  readonly apiKey: typeof ApiKey.DescribeLogDirs;
  /** v3+: the request's own error. */
  readonly errorCode?: ErrorCode;
  readonly results: readonly DescribeLogDirsResult[];
  readonly throttleTimeMs?: number;
}
