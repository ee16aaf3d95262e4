#!/usr/bin/env node
/**
 * `tributary <command> [options]`: the command line. Each command lives in its own file
 * and registers in `dispatch.ts`; `tributary --help` lists them.
 * @internal
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { connect } from '../connect.js';
import type { CommandIo } from './command.js';
import { dispatch } from './dispatch.js';

const io: CommandIo = {
  stdout: (text) => process.stdout.write(text),
  log: (line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`),
  readFile: (path) => readFileSync(path, 'utf8'),
  stderr: (text) => process.stderr.write(text),
  stdinLines: () => createInterface({ input: process.stdin, crlfDelay: Infinity }),
  stdoutIsTty: process.stdout.isTTY === true,
  connect: async (bootstrapServers, security = {}) => connect({ bootstrapServers, clientId: 'tributary-cli', ...security }),
  progress: (line) => {
    // Only for a person at a terminal: a pipe or a log file gets no carriage returns.
    if (process.stderr.isTTY !== true) return;
    process.stderr.write(line === undefined ? '\r\x1b[K' : `\r\x1b[K${line}`);
  },
  untilSignal: () =>
    new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    }),
};

// `tributary consume ... | head`: the reader went away; that is the end of the output, not a failure.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

/** The installed package's version: the nearest package.json above this file (dist/cli.js, or src/cli/main.ts). */
function version(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version ?? 'unknown';
  }
  return 'unknown';
}

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  process.stdout.write(`${version()}\n`);
} else {
  run();
}

function run(): void {
  dispatch(argv, io).then(
    (code) => {
      process.exitCode = code;
      // Everything is closed by now; a handle some library left open must not keep the process up.
      setTimeout(() => process.exit(code), 2000).unref();
    },
    (err: unknown) => {
      process.stderr.write(`${String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
