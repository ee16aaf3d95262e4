/**
 * The options of a partition log checked: `PartitionLog.open`'s and `MemoryLog`'s options
 * (through the shared options checker: a misspelt option names the nearest one), every
 * topic config with its range (Kafka's `LogConfig.validate`), and the time and offset
 * arguments of the log's housekeeping calls.
 * @internal
 */
import { batchHeaderBytes } from '../record/batch.js';
import { TributaryError } from '../util/errors.js';
import { checkOptions, clockRule, custom, object, str, unknownOption, type OptionRules } from '../util/options.js';
import { validateTopicName } from '../util/topic-name.js';
import { defaultLogConfig, type LogConfig } from './log.js';

const configNames = Object.keys(defaultLogConfig);
const anyValue = custom('a value', () => true);
/** Names only: the values are checked by `validateConfig`, with the defaults filled in. */
const configRules: OptionRules = Object.fromEntries(configNames.map((n) => [n, anyValue]));

const logOptionRules: OptionRules = {
  dataDir: str(1, 4096),
  topic: custom('a topic name', () => true),
  partition: custom('a partition number', () => true),
  config: object(configRules),
  clock: clockRule,
  faults: object(),
};

/** Checks the options of `PartitionLog.open` or `new MemoryLog` (`dataDir` only for the first). */
export function checkLogOptions(options: unknown, what: 'a PartitionLog' | 'a MemoryLog'): void {
  const rules = what === 'a MemoryLog' ? { ...logOptionRules, dataDir: custom('nothing (a MemoryLog has no folder)', () => false) } : logOptionRules;
  checkOptions(options, rules, what);
  const o = options as { dataDir?: unknown; topic?: unknown; partition?: unknown };
  validateTopicName(o.topic);
  validatePartition(o.partition, o.topic);
  if (what === 'a PartitionLog' && (typeof o.dataDir !== 'string' || o.dataDir.length === 0)) {
    throw new TributaryError('INVALID_ARGUMENT', 'dataDir must be a non-empty path', { option: 'dataDir' });
  }
}

/**
 * Checks config changes for an open log: known names (a misspelt one names the nearest),
 * and every value, the flush settings included although the open log keeps its own.
 */
export function checkConfigChanges(current: LogConfig, changes: unknown): void {
  if (typeof changes !== 'object' || changes === null || Array.isArray(changes)) throw new TributaryError('INVALID_CONFIG', 'config changes must be an object', { option: 'config' });
  for (const key of Object.keys(changes)) if (!configNames.includes(key)) throw unknownOption(key, configNames, 'a log config');
  validateConfig({ ...current, ...(changes as Partial<LogConfig>) });
}

/** Checks time and offset arguments (ms since the epoch, offsets): safe integers, `timestamp` may be -1 or -2 (latest, earliest) nowhere here. */
export function checkTimes(values: Readonly<Record<string, unknown>>): void {
  for (const [name, v] of Object.entries(values)) {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new TributaryError('INVALID_ARGUMENT', `${name} must be a non-negative integer, got ${String(v)}`, { option: name });
  }
}

export function validatePartition(partition: unknown, topic: unknown): asserts partition is number {
  if (typeof partition !== 'number' || !Number.isInteger(partition) || partition < 0 || partition > 0x7fffffff) {
    throw new TributaryError('UNKNOWN_TOPIC_OR_PARTITION', `partition must be an integer in [0, 2^31), got ${String(partition)}`, { topic: typeof topic === "string" ? topic : undefined });
  }
}

/** Checks every config value and names the option that is wrong. @internal */
export function validateConfig(c: LogConfig): LogConfig {
  const bad = (option: string, why: string): never => {
    throw new TributaryError('INVALID_CONFIG', `${option}: ${why}`, { option });
  };
  const int = (option: keyof LogConfig, min: number): void => {
    const v = c[option];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) bad(option, `must be an integer >= ${min}, got ${String(v)}`);
  };
  int('segmentBytes', batchHeaderBytes);
  if (c.segmentBytes > 0x7fffffff) bad('segmentBytes', 'must fit a 32-bit file position');
  int('segmentMs', 1);
  int('indexIntervalBytes', 0);
  // Room for a few entries of each index (Kafka's minimum is one entry).
  int('segmentIndexBytes', 64);
  int('retentionMs', -1);
  int('retentionBytes', -1);
  int('maxMessageBytes', 0);
  int('deleteRetentionMs', 0);
  int('minCompactionLagMs', 0);
  int('flushIntervalMs', 1);
  if (!['delete', 'compact', 'compact,delete'].includes(c.cleanupPolicy)) bad('cleanupPolicy', `must be delete, compact or compact,delete, got ${String(c.cleanupPolicy)}`);
  if (!['always', 'interval', 'os'].includes(c.flushPolicy)) bad('flushPolicy', `must be always, interval or os, got ${String(c.flushPolicy)}`);
  if (!['CreateTime', 'LogAppendTime'].includes(c.messageTimestampType)) bad('messageTimestampType', `must be CreateTime or LogAppendTime`);
  if (c.compressionType !== 'producer') bad('compressionType', 'only producer (keep the producer’s codec) is implemented by the log');
  if (typeof c.minCleanableDirtyRatio !== 'number' || !(c.minCleanableDirtyRatio >= 0 && c.minCleanableDirtyRatio <= 1)) bad('minCleanableDirtyRatio', 'must be in [0, 1]');
  return Object.freeze({ ...c });
}

