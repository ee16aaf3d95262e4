/**
 * The fuzzer's engine: a list of targets, each of which turns a seeded random source into
 * one call through the public API, and a runner that classifies every call's outcome.
 *
 * Every call must end in one of two ways: a success, or a `TributaryError` (thrown or
 * rejected) at the call. Anything else is counted:
 * - a **crash**: an unhandled rejection or an uncaught exception while the call ran (the
 *   process would have died);
 * - a **hang**: the call did not settle within its bound (`boundMs`);
 * - an **untyped** error: the call failed with something that is not a `TributaryError`;
 * - a **silent acceptance**: the input was built to be refused (a misspelt option, a value
 *   of the wrong type or out of range) and the call succeeded.
 *
 * Targets are pluggable: `FuzzTarget` is the contract, `runFuzz(targets, ...)` the runner,
 * and the command line (`run.ts`) and the vitest test pick which list to run. A target is
 * chosen per input in turn, so every target gets about `runs / targets` inputs; one seed
 * replays a whole run (`--seed N`), and `--only NAME` one target.
 */
import { isTributaryError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/rng.js';

/** What a target's input expects: to be refused (`invalid`), or either way (`any`). */
export type Expectation = 'invalid' | 'any';

/** One input: how to describe it (for the report) and the call to make. */
export interface FuzzCase {
  /** A short description of the input, printed for any finding. */
  readonly input: string;
  readonly expect: Expectation;
  /** Makes the call; its result (or its promise) is the outcome. */
  readonly call: () => unknown;
  /** The most time the call may take before it counts as a hang. Default the runner's. */
  readonly boundMs?: number;
}

/**
 * A fuzz target: one public entry point (or a family of them). `setup` runs once before
 * the first input (start a cluster, make a folder), `teardown` once after the last; both
 * may be omitted. `next` builds one input from the random source.
 */
export interface FuzzTarget<S = unknown> {
  readonly name: string;
  setup?(): Promise<S>;
  next(rng: Rng, state: S): FuzzCase;
  teardown?(state: S): Promise<void>;
}

export type Outcome = 'ok' | 'typed' | 'crash' | 'hang' | 'untyped' | 'silent';

export interface Finding {
  readonly target: string;
  readonly outcome: Exclude<Outcome, 'ok' | 'typed'>;
  readonly input: string;
  readonly detail: string;
  /** The input's index in the run: `--seed S --only T` replays it. */
  readonly index: number;
}

export interface FuzzReport {
  readonly seed: number;
  readonly runs: number;
  readonly counts: Record<Outcome, number>;
  readonly perTarget: Record<string, Record<Outcome, number>>;
  readonly findings: readonly Finding[];
}

export interface FuzzOptions {
  readonly seed: number;
  readonly runs: number;
  /** Default bound of one call. Default 20 s (generous: a loaded machine). */
  readonly boundMs?: number;
  /** Run only the inputs of this target (the same inputs as in the whole run: replay). */
  readonly only?: string;
  /** Run only this input index (with `only`, or alone). */
  readonly index?: number;
  /** Called after each input (progress). */
  readonly onProgress?: (done: number, runs: number) => void;
}

const zero = (): Record<Outcome, number> => ({ ok: 0, typed: 0, crash: 0, hang: 0, untyped: 0, silent: 0 });

function show(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`.slice(0, 300);
  try {
    return String(err).slice(0, 300);
  } catch {
    return 'an unprintable value';
  }
}

/** Runs `runs` inputs over `targets` from `seed`; never throws for what a call does. */
export async function runFuzz(targets: readonly FuzzTarget<any>[], options: FuzzOptions): Promise<FuzzReport> {
  const boundMs = options.boundMs ?? 20_000;
  const counts = zero();
  const perTarget: Record<string, Record<Outcome, number>> = {};
  const findings: Finding[] = [];
  // A crash is whatever reaches the process's last-resort handlers while a call runs (and
  // after, until the run ends: a rejection the library left behind counts against the
  // target that was running).
  let current = '';
  let currentInput = '';
  let currentIndex = -1;
  const crashes: Finding[] = [];
  const onCrash = (err: unknown) => {
    crashes.push({ target: current, outcome: 'crash', input: currentInput, detail: show(err), index: currentIndex });
  };
  process.on('unhandledRejection', onCrash);
  process.on('uncaughtException', onCrash);
  const states = new Map<string, unknown>();
  try {
    for (const t of targets) perTarget[t.name] = zero();
    for (let i = 0; i < options.runs; i++) {
      const target = targets[i % targets.length]!;
      if ((options.only !== undefined && target.name !== options.only) || (options.index !== undefined && i !== options.index)) continue;
      // Each input gets its own stream from the seed and its index, so one input replays
      // without the ones before it (`--only`, `--index`).
      const inputRng = new Rng((Math.imul(options.seed >>> 0, 0x9e3779b1) ^ Math.imul(i + 1, 0x85ebca6b)) >>> 0);
      if (!states.has(target.name)) states.set(target.name, target.setup ? await target.setup() : undefined);
      let c: FuzzCase;
      try {
        c = target.next(inputRng, states.get(target.name));
      } catch (err) {
        throw new Error(`fuzz target ${target.name} failed to build an input: ${show(err)}`);
      }
      current = target.name;
      currentInput = c.input;
      currentIndex = i;
      const crashesBefore = crashes.length;
      const outcome = await classify(c, c.boundMs ?? boundMs);
      // Let callbacks the call left behind run, so their crashes count against it.
      await new Promise((r) => setImmediate(r));
      const result: Outcome = crashes.length > crashesBefore ? 'crash' : outcome.outcome;
      counts[result]++;
      perTarget[target.name]![result]++;
      if (result !== 'ok' && result !== 'typed') {
        findings.push(result === 'crash' ? crashes[crashes.length - 1]! : { target: target.name, outcome: result, input: c.input, detail: outcome.detail, index: i });
      }
      options.onProgress?.(i + 1, options.runs);
    }
  } finally {
    for (const t of targets) {
      if (states.has(t.name) && t.teardown) {
        try {
          await t.teardown(states.get(t.name));
        } catch (err) {
          findings.push({ target: t.name, outcome: 'untyped', input: 'teardown', detail: show(err), index: -1 });
          counts.untyped++;
        }
      }
    }
    // Rejections from the last calls surface on a later turn.
    await new Promise((r) => setTimeout(r, 50));
    process.off('unhandledRejection', onCrash);
    process.off('uncaughtException', onCrash);
  }
  return { seed: options.seed, runs: options.runs, counts, perTarget, findings };
}

async function classify(c: FuzzCase, boundMs: number): Promise<{ outcome: Outcome; detail: string }> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = Symbol('hang');
  try {
    const settled = await Promise.race([
      (async () => {
        try {
          const value = await c.call();
          return { ok: true as const, value };
        } catch (err) {
          return { ok: false as const, err };
        }
      })(),
      new Promise<typeof hang>((resolve) => {
        timer = setTimeout(() => resolve(hang), boundMs);
      }),
    ]);
    if (settled === hang) return { outcome: 'hang', detail: `did not settle within ${boundMs} ms` };
    if (settled.ok) return c.expect === 'invalid' ? { outcome: 'silent', detail: 'accepted an input built to be refused' } : { outcome: 'ok', detail: '' };
    if (isTributaryError(settled.err)) return { outcome: 'typed', detail: '' };
    return { outcome: 'untyped', detail: show(settled.err) };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

/** The report as text: counts, per-target counts with findings, and how to replay. */
export function formatReport(report: FuzzReport, replayArgs = `--runs ${report.runs}`): string {
  const c = report.counts;
  const lines = [
    `fuzz: ${report.runs} inputs, seed ${report.seed}`,
    `  crashes ${c.crash}, hangs ${c.hang}, untyped errors ${c.untyped}, silent acceptances ${c.silent}  (typed errors ${c.typed}, successes ${c.ok})`,
  ];
  for (const [name, t] of Object.entries(report.perTarget)) {
    const n = Object.values(t).reduce((a, b) => a + b, 0);
    if (n === 0) continue;
    lines.push(`  ${name.padEnd(28)} ${String(n).padStart(6)} inputs  typed ${t.typed}  ok ${t.ok}  crash ${t.crash}  hang ${t.hang}  untyped ${t.untyped}  silent ${t.silent}`);
  }
  for (const f of report.findings.slice(0, 50)) lines.push(`  ${f.outcome.toUpperCase()} ${f.target} #${f.index} (--index ${f.index}): ${f.input}\n      ${f.detail}`);
  if (report.findings.length > 50) lines.push(`  ... ${report.findings.length - 50} more findings`);
  lines.push(`replay: npm run fuzz -- --seed ${report.seed} ${replayArgs}`);
  return lines.join('\n');
}

// ------------------------------------------------------------------ value pools

/** Values of every JavaScript type, and the edges of the numeric ranges options take. */
export const hostile: readonly unknown[] = [
  undefined, null, true, false, 0, -0, 1, -1, 0.5, NaN, Infinity, -Infinity, 2 ** 31, 2 ** 31 - 1, 2 ** 53, -(2 ** 53), 1e12, 65_536,
  '', 'x', '1', ' ', '-1', 'a/b', '..', 'é', 'x'.repeat(300), '__consumer_offsets', '__cluster_metadata',
  [], [1], ['x'], {}, { x: 1 }, () => 1, Symbol('s'), 10n, new Uint8Array(0), new Uint8Array([1, 2, 3]), new Date(0), /x/g, new Map(),
];

/** A value that is not a valid instance of what `valid` holds (one of `hostile` not in `valid`). */
export function invalidFrom(rng: Rng, valid: readonly unknown[], extra: readonly unknown[] = []): unknown {
  const pool = [...hostile, ...extra].filter((v) => !valid.some((x) => Object.is(x, v)));
  return rng.pick(pool);
}

/** The rules of one option for the generator: values that must be accepted, and values that must be refused. */
export interface OptionSpec {
  readonly valid: readonly unknown[];
  /** Values that must be refused; default every hostile value outside `valid` (`typesOnly` narrows that). */
  readonly invalid?: readonly unknown[];
}

/**
 * An options object from specs: each option given with probability 1/3; with probability
 * `pBad`, one option gets a value that must be refused or a misspelt name is added. Says
 * whether the result must be refused.
 */
export function optionsFrom(rng: Rng, specs: Readonly<Record<string, OptionSpec>>, pBad = 0.5): { options: Record<string, unknown>; expect: Expectation; bad: string } {
  const options: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) if (rng.chance(1 / 3)) options[name] = rng.pick(spec.valid);
  if (!rng.chance(pBad)) return { options, expect: 'any', bad: '' };
  const names = Object.keys(specs);
  if (names.length === 0 || rng.chance(0.25)) {
    const base = names.length > 0 ? rng.pick(names) : 'option';
    const misspelt = misspell(rng, base);
    options[misspelt] = names.length > 0 ? rng.pick(specs[base]!.valid) : 1;
    return { options, expect: 'invalid', bad: `misspelt ${misspelt}` };
  }
  const name = rng.pick(names);
  const spec = specs[name]!;
  const value = spec.invalid !== undefined ? rng.pick(spec.invalid) : invalidFrom(rng, spec.valid);
  if (value === undefined) {
    delete options[name];
    return { options, expect: 'any', bad: '' };
  }
  options[name] = value;
  return { options, expect: 'invalid', bad: `${name}=${describe(value)}` };
}

function misspell(rng: Rng, name: string): string {
  switch (rng.int(4)) {
    case 0:
      return name.slice(0, -1); // nodes -> node
    case 1:
      return `${name}s`;
    case 2:
      return name.toLowerCase() === name ? name.toUpperCase() : name.toLowerCase();
    default:
      return `${name.slice(0, 1)}${name.slice(2)}`;
  }
}

/** A short printable form of any value, for finding reports. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 20 ? `${value.slice(0, 20)}…(${value.length})` : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'symbol') return value.toString();
  if (typeof value === 'function') return 'fn';
  if (value instanceof Uint8Array) return `bytes(${value.length})`;
  if (value instanceof RegExp) return String(value);
  if (value instanceof Map) return 'Map';
  if (value instanceof Date) return 'Date';
  if (typeof value === 'object' && value !== null) {
    try {
      const s = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : typeof v === 'function' ? 'fn' : v instanceof Uint8Array ? `bytes(${v.length})` : v));
      return s.length > 160 ? `${s.slice(0, 160)}…` : s;
    } catch {
      return 'object';
    }
  }
  return String(value);
}
