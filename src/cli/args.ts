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
}

export type ParsedFlags = Map<string, string[]>;

export class UsageError extends Error {
  override name = 'UsageError';
}

/** Parses `argv` (after the command name) against `specs`. */
export function parseFlags(argv: readonly string[], specs: Readonly<Record<string, FlagSpec>>): ParsedFlags {
  const out: ParsedFlags = new Map();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument ${JSON.stringify(arg)}`);
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    const spec = specs[name];
    if (spec === undefined) throw new UsageError(`unknown option --${name}`);
    let value = 'true';
    if (spec.value) {
      if (eq >= 0) value = arg.slice(eq + 1);
      else {
        const next = argv[i + 1];
        if (next === undefined || next.startsWith('--')) throw new UsageError(`--${name} needs a value`);
        value = next;
        i++;
      }
    } else if (eq >= 0) throw new UsageError(`--${name} takes no value`);
    const list = out.get(name) ?? [];
    if (list.length > 0 && !spec.repeat) throw new UsageError(`--${name} given twice`);
    list.push(value);
    out.set(name, list);
  }
  return out;
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
