/**
 * The shape every `tributary` command has, so that `serve`, `topics`, `produce`,
 * `consume`, `groups` and `dump-log` slot into `main.ts` the same way. A command gets its
 * arguments and its I/O (so tests can drive it without a process) and resolves with the
 * exit code: 0 done, 1 failed, 2 a usage error (thrown as `UsageError`, which `main.ts`
 * turns into 2).
 * @internal
 */
import type { ClientSecurity, RemoteClients } from './remote.js';

export interface CommandIo {
  /** Machine-readable output (stdout). */
  stdout(text: string): void;
  /** Human-readable log lines (stderr). */
  log(line: string): void;
  readFile(path: string): string;
  /** Resolves when the process is asked to stop (SIGINT or SIGTERM). */
  untilSignal(): Promise<void>;
  /** Raw text to stderr (errors and warnings of the client commands, without a timestamp). */
  stderr?(text: string): void;
  /** The lines of standard input, without their line ends. */
  stdinLines?(): AsyncIterable<string>;
  /** Whether stdout is a terminal (a person reads it) rather than a pipe or a file. */
  readonly stdoutIsTty?: boolean;
  /**
   * A progress line for a person waiting (records so far, files dumped): shown on stderr,
   * rewritten in place, only when stderr is a terminal; `undefined` clears it.
   */
  progress?(line: string | undefined): void;
  /** Connects to a cluster by its `host:port,...` list: the TCP client in the real `tributary`, an in-process cluster in tests. */
  connect?(bootstrapServers: string, security?: ClientSecurity): Promise<RemoteClients>;
}

export interface Command {
  readonly name: string;
  /** One line for `tributary --help`. */
  readonly summary: string;
  run(argv: readonly string[], io: CommandIo): Promise<number>;
}
