/**
 * A `tributary` command line run as the bin runs it (`dispatch`: flags, exit codes, stdout
 * and stderr), its clients connected with `connect()` over TCP, for tests.
 */
import type { CommandIo } from '../../src/cli/command.js';
import { dispatch } from '../../src/cli/dispatch.js';
import type { ClientSecurity } from '../../src/cli/remote.js';
import { connect } from '../../src/connect.js';

/** What one command line did: its exit code and everything it wrote. */
export interface Ran {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

export interface CliOptions {
  /** The client id its connections use. */
  readonly clientId: string;
  /** Lines on its standard input. */
  readonly stdin?: readonly string[];
  /** Resolves where the command would get SIGINT; never by default. */
  readonly signal?: Promise<void>;
}

export async function runCli(argv: readonly string[], options: CliOptions): Promise<Ran> {
  let out = '';
  let err = '';
  const io: CommandIo = {
    stdout: (t) => (out += t),
    log: (l) => (err += `${l}\n`),
    stderr: (t) => (err += t),
    readFile: () => '',
    untilSignal: () => options.signal ?? new Promise<void>(() => {}),
    stdinLines: async function* () {
      yield* options.stdin ?? [];
    },
    stdoutIsTty: false,
    progress: () => {},
    connect: async (servers: string, security: ClientSecurity = {}) => connect({ bootstrapServers: servers, clientId: options.clientId, ...security }),
  };
  const code = await dispatch(argv, io);
  return { code, out, err };
}
