/**
 * The options of a partition log checked: `PartitionLog.open`'s and `MemoryLog`'s options
 * (through the shared options checker: a misspelt option names the nearest one), every
 * topic config with its range (Kafka's `LogConfig.validate`), and the time and offset
 * arguments of the log's housekeeping calls.
 * @internal
 */
import { join } from 'node:path';
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

/**
 * The configs already checked, by the identity of their (frozen) overrides: a broker opens
 * each partition of a topic with the same frozen overrides (replica-manager.ts), so
 * 10,000 partitions check and copy them once and share one frozen `LogConfig`, instead of
 * two checks and two copies each. Overrides that are not frozen could change between
 * opens, so they are checked every time.
 */
const checkedConfigs = new WeakMap<object, LogConfig>();

/** `defaultLogConfig` with `overrides`, checked (`validateConfig`) and frozen. */
export function configWithDefaults(overrides: Partial<LogConfig> | undefined): LogConfig {
  if (overrides === undefined || !Object.isFrozen(overrides)) return validateConfig({ ...defaultLogConfig, ...overrides });
  let config = checkedConfigs.get(overrides);
  if (config === undefined) {
    config = validateConfig({ ...defaultLogConfig, ...overrides });
    checkedConfigs.set(overrides, config);
  }
  return config;
}

/** The last data folder asked for, normalized with a separator (`partitionDir`). */
let lastDataDir: { dataDir: string; prefix: string } | undefined;

/**
 * A partition's folder, `path.join(dataDir, topic-partition)` for a checked topic name and
 * partition (no separator in either), without a `path.join` each time: it normalizes
 * character by character, 1 KB of garbage a call, and a broker opens 10,000 logs in one
 * data folder.
 */
export function partitionDir(dataDir: string, topic: string, partition: number): string {
  if (lastDataDir === undefined || lastDataDir.dataDir !== dataDir) lastDataDir = { dataDir, prefix: join(dataDir, '_').slice(0, -1) };
  return `${lastDataDir.prefix}${topic}-${partition}`;
}

const logOptionRulesConfigChecked: OptionRules = { ...logOptionRules, config: object() };

/** Checks the options of `PartitionLog.open` or `new MemoryLog` (`dataDir` only for the first). */
export function checkLogOptions(options: unknown, what: 'a PartitionLog' | 'a MemoryLog'): void {
  if (typeof options !== 'object' || options === null) {
    throw new TributaryError('INVALID_ARGUMENT', `${what} takes options { ${what === 'a PartitionLog' ? 'dataDir, ' : ''}topic, partition }, got ${options === null ? 'null' : typeof options}`, { option: 'options' });
  }
  // A config already checked whole (its names here, its values by `configWithDefaults`) is
  // not checked name by name again: a broker opens each of 10,000 logs with the same one.
  const config = (options as { config?: unknown }).config;
  const checked = typeof config === 'object' && config !== null && checkedConfigs.has(config);
  const rules = what === 'a MemoryLog' ? { ...logOptionRules, dataDir: custom('nothing (a MemoryLog has no folder)', () => false) } : checked ? logOptionRulesConfigChecked : logOptionRules;
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
