/**
 * The command table and `tributary <command> ...` dispatch, apart from the process (so
 * tests run a command line exactly as the `bin` does, with their own I/O): exit code 0
 * done, 1 failed, 2 a usage error.
 * @internal
 */
import { isTributaryError } from '../util/errors.js';
import { nearest, UsageError } from './args.js';
import type { Command, CommandIo } from './command.js';
import { consume } from './consume.js';
import { dumpLog } from './dump-log.js';
import { groups } from './groups.js';
import { produce } from './produce.js';
import { serve } from './serve.js';
import { topics } from './topics.js';

export const commands: readonly Command[] = [serve, topics, produce, consume, groups, dumpLog];

export function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return `Usage: tributary <command> [options]

Commands:
${commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Run "tributary <command> --help" for a command's options, "tributary --version" for the version.
`;
}

export async function dispatch(argv: readonly string[], io: CommandIo): Promise<number> {
  const stderr = (text: string) => (io.stderr ? io.stderr(text) : io.log(text.trimEnd()));
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? stderr : io.stdout)(help());
    return name === undefined ? 2 : 0;
  }
  const command = commands.find((c) => c.name === name);
  if (command === undefined) {
    const near = nearest(name, Object.fromEntries(commands.map((c) => [c.name, { value: false }]))).replace('--', '');
    stderr(`tributary: unknown command ${JSON.stringify(name)}${near}\n\n${help()}`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      stderr(`tributary ${name}: ${err.message}\nRun "tributary ${name} --help" for its options.\n`);
      return 2;
    }
    // A TributaryError is an expected failure (the cluster said no, or could not be reached): its message, not a trace.
    stderr(`tributary ${name}: ${isTributaryError(err) ? `${err.code}: ${err.message}` : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
}
