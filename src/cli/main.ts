#!/usr/bin/env node
/**
 * `tributary <command> [options]`: the command line. Each command lives in its own file
 * and registers here; `tributary --help` lists them.
 * @internal
 */
import { readFileSync } from 'node:fs';
import { UsageError } from './args.js';
import type { Command, CommandIo } from './command.js';
import { serve } from './serve.js';

const commands: readonly Command[] = [serve];

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
    process.stderr.write(`tributary: unknown command ${JSON.stringify(name)}\n\n${help()}`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`tributary ${name}: ${err.message}\nRun "tributary ${name} --help" for its options.\n`);
      return 2;
    }
    process.stderr.write(`tributary ${name}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
}

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
