/**
 * The one place options are checked: every options object a public entry point takes
 * (`Cluster.start`, its `broker` settings, `Admin`, `Producer`, `Consumer`,
 * `ConsumerGroup`, `Topic.consume`, `PartitionLog.open`, `MetadataQuorum.start`) is
 * described by a table of {@link OptionRule}s, and {@link checkOptions} walks the table.
 * A bad option is a `TributaryError('INVALID_CONFIG')` whose `option` names it and whose
 * message says what was expected and what was given (`lingerMs must be a non-negative
 * integer, got -1`); a misspelt one names the nearest known option (`node is not a
 * cluster option; did you mean nodes?`), so nothing a user wrote is silently ignored.
 *
 * Rules between options (idempotence needs `acks: 'all'`, a heartbeat below the session
 * timeout) stay with each resolver: they are about meaning, not shape.
 * @internal
 */
import { TributaryError } from './errors.js';

/** The longest time any option may name: 2^31 - 1 ms, the most a Node timer can wait. */
export const durationMsMax = 2 ** 31 - 1;

/**
 * The longest Raft election timeout: a minute. A quorum whose timeout is longer than a
 * broker session would fence brokers before it elected a new controller, and one of
 * 10^12 ms (accepted before) never elected again after its leader stopped.
 */
export const electionTimeoutMsMax = 60_000;

/** How one option is checked: `words` says what is expected, `ok` whether a value is it. */
export interface OptionRule {
  readonly words: string;
  readonly ok: (value: unknown) => boolean;
  /** Rules of the fields of an object-valued option (checked recursively, unknown keys refused). */
  readonly fields?: OptionRules;
  /** Keys accepted but not checked here (another rule, or a deprecated alias, handles them). */
  readonly required?: boolean;
}

/** The rules of an options object, by option name. */
export type OptionRules = Readonly<Record<string, OptionRule>>;

/** An object literal (or one without a prototype): not an array, a Map, a RegExp, a Date. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** An integer in [min, max]. */
export function int(min: number, max: number, words?: string): OptionRule {
  return {
    words: words ?? (max >= durationMsMax && min === 0 ? 'a non-negative integer' : max >= durationMsMax && min === 1 ? 'a positive integer' : `an integer from ${min} to ${max}`),
    ok: (v) => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max,
  };
}

/** A duration in milliseconds, an integer in [min, 2^31 - 1] (a Node timer cannot wait longer). */
export function durationMs(min = 0, max = durationMsMax): OptionRule {
  return int(min, max, min === 0 && max === durationMsMax ? 'a non-negative integer' : min === 1 && max === durationMsMax ? 'a positive integer' : `an integer from ${min} to ${max} (ms)`);
}

/** One of the values listed. */
export function oneOf(values: readonly unknown[]): OptionRule {
  return { words: `one of ${values.map((a) => JSON.stringify(a)).join(', ')}`, ok: (v) => values.includes(v) };
}

export const bool: OptionRule = { words: 'true or false', ok: (v) => typeof v === 'boolean' };

/** A string of `min` to `max` characters. */
export function str(min = 1, max = 255): OptionRule {
  return {
    words: min === 1 ? `a non-empty string of at most ${max} characters` : `a string of ${min} to ${max} characters`,
    ok: (v) => typeof v === 'string' && v.length >= min && v.length <= max,
  };
}

export const func: OptionRule = { words: 'a function', ok: (v) => typeof v === 'function' };

/** A plain object whose fields follow `fields` (unknown fields refused), or any object without `fields`. */
export function object(fields?: OptionRules): OptionRule {
  return { words: 'an object', ok: isPlainObject, ...(fields ? { fields } : {}) };
}

/** Any value `ok` accepts, described by `words`. */
export function custom(words: string, ok: (value: unknown) => boolean): OptionRule {
  return { words, ok };
}

/** The same rule, but the option must be given. */
export function required(rule: OptionRule): OptionRule {
  return { ...rule, required: true };
}

/** How a value is shown in an error message: short, never throwing. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return value.toString();
  if (value === null) return 'null';
  if (value instanceof RegExp) return String(value);
  if (typeof value === 'object') {
    try {
      const s = JSON.stringify(value) ?? String(value);
      return s.length > 80 ? `${s.slice(0, 80)}…` : s;
    } catch {
      return 'an object';
    }
  }
  return String(value);
}

/** `INVALID_CONFIG` for one option: `<option> must be <expected>, got <value>`. */
export function invalidConfig(option: string, expected: string, got: unknown): TributaryError {
  return new TributaryError('INVALID_CONFIG', `${option} ${expected}, got ${describeValue(got)}`, { option });
}

/** Edit distance (insertions, deletions, substitutions), case-insensitive, capped for speed. */
function distance(a: string, b: string): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  if (a === b) return 0;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * The known name nearest to `name`, when one is near enough to be a slip: within a third
 * of its length in edits, or one that contains it or that it contains (`linger` for
 * `lingerMs`). `aliases` maps names users bring from elsewhere to ours (`fromBeginning`
 * to `from`).
 */
export function nearestName(name: string, known: readonly string[], aliases: Readonly<Record<string, string>> = {}): string | undefined {
  const alias = aliases[name] ?? aliases[name.toLowerCase()];
  if (alias !== undefined) return alias;
  let best: string | undefined;
  let bestScore = Infinity;
  const lower = name.toLowerCase();
  for (const k of known) {
    const kl = k.toLowerCase();
    let d = distance(name, k);
    if (lower.length >= 3 && (kl.includes(lower) || lower.includes(kl))) d = Math.min(d, 1);
    if (d < bestScore) {
      best = k;
      bestScore = d;
    }
  }
  return best !== undefined && bestScore <= Math.max(2, Math.ceil(name.length / 3)) ? best : undefined;
}

/**
 * `INVALID_CONFIG` for an option that is not one of `known`: names the nearest known one
 * when there is one, else lists them all.
 */
export function unknownOption(name: string, known: readonly string[], what: string, aliases: Readonly<Record<string, string>> = {}): TributaryError {
  const near = nearestName(name, known, aliases);
  const hint = near !== undefined ? `did you mean ${near}?` : `known: ${known.join(', ')}`;
  return new TributaryError('INVALID_CONFIG', `${name} is not ${what} option; ${hint}`, { option: name });
}

/** Options for {@link checkOptions}. */
export interface CheckOptions {
  /** Prefixed to option names in errors: `broker.` for the cluster's broker settings. */
  readonly prefix?: string;
  /** Names users bring from other clients, mapped to ours, for the "did you mean". */
  readonly aliases?: Readonly<Record<string, string>>;
  /** Keys allowed without a rule (internal hooks, deprecated names handled by the caller). */
  readonly extra?: readonly string[];
  /** Names users bring from other clients that have no counterpart here, with what to do instead. */
  readonly hints?: Readonly<Record<string, string>>;
}

/**
 * The rules of a table as entries, listed once per table: option tables are module
 * constants checked at every call (a broker opens 10,000 logs, each checking its options
 * and config), and `Object.entries` copied the table each time.
 */
const ruleEntries = new WeakMap<OptionRules, readonly (readonly [string, OptionRule])[]>();
function entriesOf(rules: OptionRules): readonly (readonly [string, OptionRule])[] {
  let entries = ruleEntries.get(rules);
  if (entries === undefined) {
    entries = Object.entries(rules);
    ruleEntries.set(rules, entries);
  }
  return entries;
}

/**
 * Checks an options object against its rules: it must be an object (or undefined), every
 * key must be known, every given value must pass its rule, every required one be given.
 * `what` names the options in messages, with its article: `'a cluster'`, `'a producer'`.
 * Throws the first problem as `INVALID_CONFIG`.
 */
export function checkOptions(options: unknown, rules: OptionRules, what: string, check: CheckOptions = {}): void {
  const prefix = check.prefix ?? '';
  if (options === undefined) {
    for (const [name, rule] of Object.entries(rules)) if (rule.required) throw invalidConfig(`${prefix}${name}`, `must be ${rule.words}`, undefined);
    return;
  }
  if (!isPlainObject(options)) throw invalidConfig(prefix === '' ? 'options' : prefix.slice(0, -1), 'must be an object', options);
  const record = options as Record<string, unknown>;
  for (const key in record) {
    if (!Object.hasOwn(record, key) || Object.hasOwn(rules, key) || check.extra?.includes(key)) continue;
    const hint = check.hints !== undefined && Object.hasOwn(check.hints, key) ? check.hints[key] : undefined;
    if (hint !== undefined) throw new TributaryError('INVALID_CONFIG', `${prefix}${key} is not ${what} option: ${hint}`, { option: `${prefix}${key}` });
    throw unknownOption(`${prefix}${key}`, Object.keys(rules).map((k) => `${prefix}${k}`), what, prefixed(check.aliases, prefix));
  }
  for (const [name, rule] of entriesOf(rules)) {
    const value = record[name];
    if (value === undefined) {
      if (rule.required) throw invalidConfig(`${prefix}${name}`, `must be ${rule.words}`, value);
      continue;
    }
    if (!rule.ok(value)) throw invalidConfig(`${prefix}${name}`, `must be ${rule.words}`, value);
    if (rule.fields) checkOptions(value, rule.fields, what, { prefix: `${prefix}${name}.` });
  }
}

function prefixed(aliases: Readonly<Record<string, string>> | undefined, prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(aliases ?? {})) out[`${prefix}${k}`] = `${prefix}${v}`;
  return out;
}

/** Whether a value looks like a `Clock` (the only thing the library calls on one). */
export const clockRule: OptionRule = custom('a Clock (with now() and monotonic())', (v) => typeof v === 'object' && v !== null && typeof (v as { now?: unknown }).now === 'function' && typeof (v as { monotonic?: unknown }).monotonic === 'function');
