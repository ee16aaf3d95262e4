#!/usr/bin/env node
/**
 * `tributary <command> [options]`: the command line. Each command lives in its own file
 * and registers here; `tributary --help` lists them.
 * @internal
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { isTributaryError } from '../util/errors.js';
import { nearest, UsageError } from './args.js';
import type { Command, CommandIo } from './command.js';
import { consume } from './consume.js';
import { dumpLog } from './dump-log.js';
import { groups } from './groups.js';
import { produce } from './produce.js';
import { serve } from './serve.js';
import { topics } from './topics.js';

const commands: readonly Command[] = [serve, topics, produce, consume, groups, dumpLog];

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return `Usage: tributary <command> [options]

Commands:
${commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Run "tributary <command> --help" for a command's options.
`;
}

const io: CommandIo = {
  stdout: (text) => process.stdout.write(text),
  log: (line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`),
  readFile: (path) => readFileSync(path, 'utf8'),
  stderr: (text) => process.stderr.write(text),
  stdinLines: () => createInterface({ input: process.stdin, crlfDelay: Infinity }),
  stdoutIsTty: process.stdout.isTTY === true,
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

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help());
    return name === undefined ? 1 : 0;
  }
  const command = commands.find((c) => c.name === name);
  if (command === undefined) {
    const near = nearest(name, Object.fromEntries(commands.map((c) => [c.name, { value: false }]))).replace('--', '');
    process.stderr.write(`tributary: unknown command ${JSON.stringify(name)}${near}\n\n${help()}`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`tributary ${name}: ${err.message}\nRun "tributary ${name} --help" for its options.\n`);
      return 2;
    }
    // A TributaryError is an expected failure (the cluster said no, or could not be reached): its message, not a trace.
    process.stderr.write(`tributary ${name}: ${isTributaryError(err) ? `${err.code}: ${err.message}` : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
}

// \`tributary consume ... | head\`: the reader went away; that is the end of the output, not a failure.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

main(process.argv.slice(2)).then(
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
