/**
 * `tributary produce TOPIC`: sends standard input, one record a line, as Kafka's
 * `kafka-console-producer.sh` and `kcat -P` do. Silent on success unless
 * `--print-metadata`; exit code 1 when any record failed (each failure is a line on stderr).
 *
 * ```sh
 * printf 'k1:hello\nk2:world\n' | tributary produce orders --bootstrap-server 127.0.0.1:9092 --key-separator :
 * ```
 * @internal
 */
import { compressionTypes, type CompressionType } from '../record/batch.js';
import type { ProducerRecord, RecordMetadata } from '../client/producer.js';
import { flag, intFlag, parseCommandLine, UsageError, type FlagSpec, type ParsedFlags } from './args.js';
import type { Command, CommandIo } from './command.js';
import { clientFlags, clientFlagsUsage, errorLine, reportErrors, topicOf, withClients } from './remote.js';

const flags: Record<string, FlagSpec> = {
  ...clientFlags,
  'key-separator': { value: true },
  partition: { value: true },
  acks: { value: true },
  compression: { value: true },
  header: { value: true, repeat: true },
  'print-metadata': { value: false },
  // kafka-console-producer.sh's spellings.
  topic: { value: true },
  property: { value: true, repeat: true },
};

const usage = `Usage: tributary produce TOPIC --bootstrap-server H:P [options] < records

Sends standard input to TOPIC, one record a line (the value; with --key-separator the
text before the first separator is the key). Prints nothing on success; exit code 1 when
any record was not written.

Options:
  --key-separator S        split each line at the first S into key and value
  --partition N            send every record to partition N (default: by key, or sticky)
  --acks 0|1|all           acknowledgements to wait for (default all)
  --compression C          none, gzip, snappy, lz4 or zstd (default none)
  --header K=V             a header on every record (repeatable)
  --print-metadata         print "TOPIC-PARTITION@OFFSET" for each record written
  --topic TOPIC            the topic, as kafka-console-producer.sh names it
  --property K=V           kafka-console-producer.sh's parse.key=true (key and value split
                           at key.separator, a tab unless --property key.separator=S)
${clientFlagsUsage}
`;

/** Records in flight before the command waits for them: bounds memory on a long input. */
const pendingRecordsMax = 10_000;

async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const { flags: f, positionals } = parseCommandLine(argv, flags, 1);
  if (f.has('help')) {
    io.stdout(usage);
    return 0;
  }
  const topic = topicOf(positionals[0], f, 'produce');
  const separator = separatorOf(f);
  if (separator === '') throw new UsageError('--key-separator cannot be empty');
  const partition = intFlag(f, 'partition', 0, 2 ** 31 - 1);
  const acksText = flag(f, 'acks') ?? 'all';
  const acks = acksText === 'all' || acksText === '-1' ? 'all' : acksText === '1' ? 1 : acksText === '0' ? 0 : undefined;
  if (acks === undefined) throw new UsageError(`--acks wants 0, 1 or all, got ${JSON.stringify(acksText)}`);
  const compression = flag(f, 'compression') ?? 'none';
  if (!(compressionTypes as readonly string[]).includes(compression)) throw new UsageError(`--compression wants one of ${compressionTypes.join(', ')}, got ${JSON.stringify(compression)}`);
  const headers: { key: string; value: string }[] = [];
  for (const kv of f.get('header') ?? []) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new UsageError(`--header wants NAME=VALUE, got ${JSON.stringify(kv)}`);
    headers.push({ key: kv.slice(0, eq), value: kv.slice(eq + 1) });
  }
  const printMetadata = f.has('print-metadata');
  if (io.stdinLines === undefined) throw new Error('no standard input');
  const lines = io.stdinLines();

  return reportErrors('produce', io, () =>
    withClients(f, io, async (clients) => {
      const producer = clients.producer({ acks, compression: compression as CompressionType, lingerMs: 5 });
      let failures = 0;
      let sent = 0;
      let pending: Promise<RecordMetadata | undefined>[] = [];
      const settle = async () => {
        const written = await Promise.all(pending);
        pending = [];
        if (printMetadata) io.stdout(written.filter((m) => m !== undefined).map((m) => `${m.topic}-${m.partition}@${m.offset}\n`).join(''));
      };
      try {
        let lineNumber = 0;
        for await (const line of lines) {
          lineNumber++;
          let key: string | null = null;
          let value = line;
          if (separator !== undefined) {
            const at = line.indexOf(separator);
            if (at < 0) {
              errorLine(io, `tributary produce: line ${lineNumber} has no key separator ${JSON.stringify(separator)}; not sent`);
              failures++;
              continue;
            }
            key = line.slice(0, at);
            value = line.slice(at + separator.length);
          }
          const record: ProducerRecord = { key, value, ...(headers.length > 0 ? { headers } : {}), ...(partition !== undefined ? { partition } : {}) };
          const n = lineNumber;
          pending.push(
            producer.send(topic, record).catch((err: unknown) => {
              failures++;
              errorLine(io, `tributary produce: line ${n} not written: ${err instanceof Error ? err.message : String(err)}`);
              return undefined;
            }),
          );
          sent++;
          if (pending.length >= pendingRecordsMax) {
            await settle();
            io.progress?.(`${sent} records sent`);
          }
        }
        await settle();
        await producer.flush();
      } finally {
        io.progress?.(undefined);
        await producer.close();
      }
      return failures > 0 ? 1 : 0;
    }),
  );
}

export const produce: Command = { name: 'produce', summary: 'send standard input to a topic, one record a line (kafka-console-producer)', run };

/**
 * The key separator: `--key-separator S`, or kafka-console-producer.sh's
 * `--property parse.key=true` with `key.separator` (a tab by default); undefined when
 * lines are values only. A `key.separator` without `parse.key=true` is not used, as in Kafka.
 */
function separatorOf(f: ParsedFlags): string | undefined {
  const properties = new Map<string, string>();
  for (const kv of f.get('property') ?? []) {
    const eq = kv.indexOf('=');
    const name = eq < 0 ? kv : kv.slice(0, eq);
    if (name !== 'parse.key' && name !== 'key.separator') throw new UsageError(`--property ${name}: known are parse.key and key.separator (--header K=V adds a header; --acks, --compression and --partition are flags)`);
    if (eq < 0) throw new UsageError(`--property wants NAME=VALUE, got ${JSON.stringify(kv)}`);
    properties.set(name, kv.slice(eq + 1));
  }
  const parseKey = properties.get('parse.key');
  if (parseKey !== undefined && parseKey !== 'true' && parseKey !== 'false') throw new UsageError(`--property parse.key wants true or false, got ${JSON.stringify(parseKey)}`);
  const own = flag(f, 'key-separator');
  if (own !== undefined && parseKey !== undefined) throw new UsageError('--key-separator and --property parse.key cannot go together');
  const separator = own ?? (parseKey === 'true' ? (properties.get('key.separator') ?? '\t') : undefined);
  if (separator === '') throw new UsageError(`${own !== undefined ? '--key-separator' : '--property key.separator'} cannot be empty`);
  return separator;
}
