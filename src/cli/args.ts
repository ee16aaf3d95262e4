/**
 * A small command-line flag parser shared by every `tributary` command: `--name value`,
 * `--name=value`, repeatable flags, and booleans (`--help`). A command declares its flags;
 * anything else is a usage error with a message, never an exception trace.
 * @internal
 */

export interface FlagSpec {
  /** Whether the flag takes a value (`--port 9092`) or is a switch (`--help`). */
  readonly value: boolean;
  /** May be given more than once (values collect into a list). */
  readonly repeat?: boolean;
  /**
   * With `value`: the value may be left out (`--create --topic T`, Kafka's spelling, beside
   * `--create T`). The next argument is the value unless it is a flag; left out, the value
   * is ''.
   */
  readonly optional?: boolean;
}

export type ParsedFlags = Map<string, string[]>;

export class UsageError extends Error {
  override name = 'UsageError';
}

/** Parses `argv` (after the command name) against `specs`; no positional arguments. */
export function parseFlags(argv: readonly string[], specs: Readonly<Record<string, FlagSpec>>): ParsedFlags {
  return parseCommandLine(argv, specs, 0).flags;
}

/**
 * Parses `argv` against `specs`, allowing up to `positionalsMax` arguments that are not
 * flags (`tributary consume orders ...`). `--` ends the flags: what follows is positional.
 */
export function parseCommandLine(argv: readonly string[], specs: Readonly<Record<string, FlagSpec>>, positionalsMax: number): { flags: ParsedFlags; positionals: string[] } {
  const out: ParsedFlags = new Map();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--')) {
      if (arg.startsWith('-') && arg.length > 1 && !/^-\d/.test(arg)) throw new UsageError(`unknown option ${arg}${nearest(arg.replace(/^-+/, ''), specs)}`);
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    const spec = specs[name];
    if (spec === undefined) throw new UsageError(`unknown option --${name}${nearest(name, specs)}`);
    let value = 'true';
    if (spec.value) {
      if (eq >= 0) value = arg.slice(eq + 1);
      else {
        const next = argv[i + 1];
        if (next === undefined || next.startsWith('--')) {
          if (!spec.optional) throw new UsageError(`--${name} needs a value`);
          value = '';
        } else {
          value = next;
          i++;
        }
      }
    } else if (eq >= 0) throw new UsageError(`--${name} takes no value`);
    const list = out.get(name) ?? [];
    if (list.length > 0 && !spec.repeat) throw new UsageError(`--${name} given twice`);
    list.push(value);
    out.set(name, list);
  }
  if (positionals.length > positionalsMax) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[positionalsMax])}`);
  return { flags: out, positionals };
}

/** `; did you mean --x?` for the flag closest to a mistyped one (edit distance), or ''. */
export function nearest(name: string, specs: Readonly<Record<string, FlagSpec>>): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of Object.keys(specs)) {
    const d = candidate.startsWith(name) && name.length >= 2 ? 1 : editDistance(name, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? `; did you mean --${best}?` : '';
}

/** Levenshtein distance, two rows. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

/** Exactly one of `names` given, else a usage error listing them. */
export function oneOf(flags: ParsedFlags, names: readonly string[]): string {
  const given = names.filter((n) => flags.has(n));
  if (given.length !== 1) throw new UsageError(given.length === 0 ? `say what to do: one of ${names.map((n) => `--${n}`).join(', ')}` : `${given.map((n) => `--${n}`).join(' and ')} cannot go together`);
  return given[0]!;
}

/** A flag's single value, or undefined. */
export function flag(flags: ParsedFlags, name: string): string | undefined {
  return flags.get(name)?.[0];
}

/** A flag's value as an integer in [min, max]. */
export function intFlag(flags: ParsedFlags, name: string, min: number, max: number): number | undefined {
  const text = flag(flags, name);
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^-?\d+$/.test(text) || n < min || n > max) throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(text)}`);
  return n;
}

/**
 * What an action works on, said either as its value or with another flag, Kafka's way:
 * `--create T` or `--create --topic T` (kafka-topics.sh), `--describe G` or
 * `--describe --group G` (kafka-consumer-groups.sh). Both given must agree.
 */
export function subject(flags: ParsedFlags, action: string, other: string, what: string): string {
  const own = flag(flags, action) ?? '';
  const named = flag(flags, other);
  if (named === '') throw new UsageError(`--${other} needs a value`);
  if (own !== '' && named !== undefined && own !== named) throw new UsageError(`--${action} ${own} and --${other} ${named} name different ${what}s`);
  const name = own !== '' ? own : named;
  if (name === undefined) throw new UsageError(`--${action} needs a ${what}: --${action} ${what === 'topic' ? 'NAME' : 'ID'} or --${action} --${other} ${what === 'topic' ? 'NAME' : 'ID'}`);
  return name;
}

/**
 * The flag among `names` that was given (at most one: two are a usage error), or undefined:
 * for a Kafka spelling beside Tributary's (`--from-beginning` and `--from`).
 */
export function atMostOne(flags: ParsedFlags, names: readonly string[]): string | undefined {
  const given = names.filter((n) => flags.has(n));
  if (given.length > 1) throw new UsageError(`${given.map((n) => `--${n}`).join(' and ')} cannot go together`);
  return given[0];
}
