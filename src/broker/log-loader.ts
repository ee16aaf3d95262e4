/**
 * Opening a partition's log with progress reports, as Kafka's `LogLoader` and
 * `LogManager` log the loading of each log. Recovery after an unclean shutdown reads every segment past the
 * recovery point, synchronously (a 218 MB partition took 3 s): before it starts, the
 * log says how much it is about to check; after, how much it read and how fast (what it
 * cut, `LogManager` reports). The same start and end go to `tributary:recovery`.
 * @internal
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PartitionLog, type PartitionLogOptions } from '../storage/partition-log.js';
import { channels, type RecoveryEvent } from '../util/channels.js';
import type { Logger } from '../util/logger.js';

/** Recoveries of logs this large (segment bytes) or this slow are logged at info level; smaller ones at debug. */
export const recoveryReportBytesMin = 16 * 1024 * 1024;
export const recoveryReportMsMin = 1000;

/** Kafka's clean-shutdown marker: its absence means the log must be recovered. */
const cleanShutdownFile = '.kafka_cleanshutdown';
const recoveryPointFile = 'recovery-point-offset-checkpoint';

/**
 * What a `LogManager` knows of a log before it opens: what the data folder's checkpoints
 * say of it (`clean`, `recoveryPoint`: nothing if they do not know it), and whether its
 * folder may exist (`folderKnown`: false spares a new partition's `access`).
 */
export interface Checkpointed {
  readonly clean?: boolean;
  readonly recoveryPoint?: number | undefined;
  readonly folderKnown?: boolean;
}

/**
 * `checkpointed`: what the data folder's checkpoints say of the log (a `LogManager`'s);
 * without it, the log's own folder is read for them.
 */
export async function openPartitionLog(options: PartitionLogOptions, nodeId: number, log: Logger, reportBytesMin = recoveryReportBytesMin, checkpointed?: Checkpointed): Promise<PartitionLog> {
  return openPartitionLogNow(options, nodeId, log, reportBytesMin, checkpointed);
}

/** `openPartitionLog`, synchronously (opening is synchronous file work: `LogManager.openNow`). */
export function openPartitionLogNow(
  options: PartitionLogOptions,
  nodeId: number,
  log: Logger,
  reportBytesMin = recoveryReportBytesMin,
  checkpointed?: Checkpointed,
): PartitionLog {
  const { topic, partition } = options;
  const bytes = uncleanSegmentBytes(options.dataDir, `${topic}-${partition}`, checkpointed);
  const where = { nodeId, topic, partition };
  const mb = (n: number): string => (n / 1e6).toFixed(1);
  if (bytes > 0) {
    const say = bytes >= reportBytesMin ? log.info : log.debug;
    say({ ...where, bytes }, `recovering ${topic}-${partition} after an unclean shutdown: ${mb(bytes)} MB of segments to check`);
    if (channels.recovery.hasSubscribers) channels.recovery.publish({ phase: 'start', ...where, bytes } satisfies RecoveryEvent);
  }
  const opened = PartitionLog.openNow(options);
  const r = opened.recovery;
  if (!r.clean && (bytes > 0 || r.bytesScanned > 0)) {
    const rate = r.durationMs > 0 ? r.bytesScanned / (r.durationMs / 1000) : 0;
    const fields = { ...where, bytesScanned: r.bytesScanned, segmentsScanned: r.segmentsScanned, durationMs: Math.round(r.durationMs), bytesPerSecond: Math.round(rate), bytesTruncated: r.bytesTruncated };
    const say = bytes >= reportBytesMin || r.durationMs >= recoveryReportMsMin ? log.info : log.debug;
    say(fields, `recovered ${topic}-${partition}: checked ${mb(r.bytesScanned)} MB in ${r.segmentsScanned} segments in ${Math.round(r.durationMs)} ms (${mb(rate)} MB/s)`);
    if (channels.recovery.hasSubscribers) channels.recovery.publish({ phase: 'end', ...where, bytes: r.bytesScanned, durationMs: r.durationMs, bytesTruncated: r.bytesTruncated } satisfies RecoveryEvent);
  }
  return opened;
}

/**
 * The bytes recovery will scan in a log folder that lacks the clean-shutdown marker (else
 * 0): its segment files at or after the recovery point, the segments below it being
 * durable and trusted (Kafka's `recovery-point-offset-checkpoint`).
 */
function uncleanSegmentBytes(dataDir: string, folder: string, checkpointed: Checkpointed | undefined): number {
  // (The clean case first: a file-system call per partition less on a clean restart; and
  // a folder its manager knows absent, a new partition's: nothing to recover, no call.)
  if (checkpointed?.clean === true || checkpointed?.folderKnown === false) return 0;
  const dir = join(dataDir, folder);
  if (!existsSync(dir) || (checkpointed?.clean === undefined && existsSync(join(dir, cleanShutdownFile)))) return 0;
  let total = 0;
  try {
    const point = checkpointed?.recoveryPoint ?? recoveryPointOf(dir);
    for (const name of readdirSync(dir)) if (name.endsWith('.log') && Number(name.slice(0, -4)) >= point) total += statSync(join(dir, name)).size;
  } catch {
    return 0; // the open that follows reports what is wrong with the folder
  }
  return total;
}

function recoveryPointOf(dir: string): number {
  try {
    const n = Number(readFileSync(join(dir, recoveryPointFile), 'utf8').trim());
    return Number.isSafeInteger(n) && n >= 0 ? n : 0;
  } catch {
    return 0;
  }
}
