/**
 * The shape every `tributary` command has, so that `serve`, and later `topics`,
 * `produce`, `consume`, `groups` and `dump-log`, slot into `main.ts` the same way. A
 * command gets its arguments and its I/O (so tests can drive it without a process) and
 * resolves with the exit code.
 * @internal
 */

export interface CommandIo {
  /** Machine-readable output (stdout). */
  stdout(text: string): void;
  /** Human-readable log lines (stderr). */
  log(line: string): void;
  readFile(path: string): string;
  /** Resolves when the process is asked to stop (SIGINT or SIGTERM). */
  untilSignal(): Promise<void>;
}

export interface Command {
  readonly name: string;
  /** One line for `tributary --help`. */
  readonly summary: string;
  run(argv: readonly string[], io: CommandIo): Promise<number>;
}
