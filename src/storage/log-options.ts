/**
 * The options of a partition log checked: `PartitionLog.open`'s and `MemoryLog`'s options
 * (through the shared options checker: a misspelt option names the nearest one), every
 * topic config with its range (Kafka's `LogConfig.validate`), and the time and offset
 * arguments of the log's housekeeping calls.
 * @internal
 */
import { TributaryError } from '../util/errors.js';
import { checkOptions, clockRule, custom, object, str, unknownOption, type OptionRules } from '../util/options.js';
import { validateTopicName } from '../util/topic-name.js';
import { validateConfig, validatePartition } from './log-checks.js';
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
  // @internal: disk-fault tests open each folder's store through a wrapper.
  openStore: custom('a function opening a folder\'s store', (v) => typeof v === 'function'),
  // @internal: a LogManager keeps the checkpoints of all its logs per data folder.
  checkpoints: custom('a function giving a log its checkpoints', (v) => typeof v === 'function'),
};

/** Checks the options of `PartitionLog.open` or `new MemoryLog` (`dataDir` only for the first). */
export function checkLogOptions(options: unknown, what: 'a PartitionLog' | 'a MemoryLog'): void {
  if (typeof options !== 'object' || options === null) {
    throw new TributaryError('INVALID_ARGUMENT', `${what} takes options { ${what === 'a PartitionLog' ? 'dataDir, ' : ''}topic, partition }, got ${options === null ? 'null' : typeof options}`, { option: 'options' });
  }
  const rules = what === 'a MemoryLog' ? { ...logOptionRules, dataDir: custom('nothing (a MemoryLog has no folder)', () => false) } : logOptionRules;
  checkOptions(options, rules, what);
  const o = options as { dataDir?: unknown; topic?: unknown; partition?: unknown };
  validateTopicName(o.topic);
  validatePartition(o.partition, o.topic as string);
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

/** The options of `read`: an object (a cheap check, on the read path). */
export function checkReadOptions<T extends object>(options: T): T {
  if (typeof options !== 'object' || options === null) throw new TributaryError('INVALID_ARGUMENT', `read options must be an object, got ${options === null ? 'null' : typeof options}`, { option: 'options' });
  return options;
}
