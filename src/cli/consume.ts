/**
 * `tributary consume TOPIC`: prints a topic's records, as `kcat -C` and Kafka's
 * `kafka-console-consumer.sh` do. Reads until `--max` records, the end of the partitions
 * (`--exit`), or SIGINT/SIGTERM; then exits 0.
 *
 * ```sh
 * tributary consume orders --bootstrap-server 127.0.0.1:9092 --from earliest --max 10 --format '%p@%o %k=%s\n'
 * tributary consume orders --bootstrap-server 127.0.0.1:9092 --group audit --format json | jq .value
 * ```
 * @internal
 */
import type { ConsumerRecord } from '../client/consumer.js';
import { atMostOne, flag, intFlag, parseCommandLine, UsageError, type FlagSpec } from './args.js';
import type { Command, CommandIo } from './command.js';
import { clientFlags, clientFlagsUsage, errorLine, parsePosition, reportErrors, topicOf, withClients, type RemoteClients } from './remote.js';

const flags: Record<string, FlagSpec> = {
  ...clientFlags,
  from: { value: true },
  partition: { value: true },
  group: { value: true },
  max: { value: true },
  format: { value: true },
  exit: { value: false },
  // kafka-console-consumer.sh's spellings.
  topic: { value: true },
  'from-beginning': { value: false },
  offset: { value: true },
  'max-messages': { value: true },
  property: { value: true, repeat: true },
};

const usage = `Usage: tributary consume TOPIC --bootstrap-server H:P [options]

Prints TOPIC's records on stdout until --max records, the end (--exit), or SIGINT/SIGTERM.

Options:
  --from POS        earliest, latest (default), an offset (each partition), or an ISO time
                    such as 2026-12-06T10:00:00Z (the first record at or after it)
  --partition N     read only partition N (default: every partition)
  --group ID        read as a member of consumer group ID, committing what it printed;
                    --from is then where a partition without a committed offset starts
                    (earliest or latest)
  --max N           exit after N records
  --exit            exit at the end of the partitions (the high watermarks when it started
                    to read; not with --group)
  --format F        json: one JSON object a line {topic,partition,offset,timestamp,key,value,headers}
                    or a template (default '%s\\n'):
                      %t topic   %p partition   %o offset   %T timestamp (ms)
                      %k key     %s value       %h headers (k=v,k=v)
                      %K key bytes   %S value bytes   %% a percent sign
                      {topic} {partition} {offset} {timestamp} {key} {value} {headers}
                      \\n newline  \\t tab
                    (kafka-console-consumer.sh's --property print.key=true is '%k\\t%s\\n')
  --topic T         the topic, as kafka-console-consumer.sh names it
  --from-beginning, --offset POS, --max-messages N
                    kafka-console-consumer.sh's names of --from earliest, --from POS, --max N
${clientFlagsUsage}
`;

/** With --group, printed records are committed at least this often (and on exit). */
const commitEveryRecords = 500;

/** What a printed record needs: a `ConsumerRecord` without its leader epoch. */
type PrintableRecord = Omit<ConsumerRecord, 'leaderEpoch'>;

const utf8 = new TextDecoder('utf-8', { fatal: true });
const text = (b: Uint8Array | null): string => (b === null ? '' : Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8'));

/** A JSON value for bytes: the UTF-8 text when they are valid UTF-8, else `{ "base64": ... }`; null stays null. */
function jsonBytes(b: Uint8Array | null): string | null | { base64: string } {
  if (b === null) return null;
  try {
    return utf8.decode(b);
  } catch {
    return { base64: Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64') };
  }
}

/** Turns `--format` into a function from a record to its text. */
export function formatter(format: string): (r: PrintableRecord) => string {
  if (format === 'json') {
    return (r) =>
      `${JSON.stringify({ topic: r.topic, partition: r.partition, offset: r.offset, timestamp: r.timestamp, key: jsonBytes(r.key), value: jsonBytes(r.value), headers: r.headers.map((h) => ({ key: h.key, value: jsonBytes(h.value) })) })}\n`;
  }
  type Part = string | ((r: PrintableRecord) => string);
  const fields: Record<string, (r: PrintableRecord) => string> = {
    t: (r) => r.topic,
    p: (r) => String(r.partition),
    o: (r) => String(r.offset),
    T: (r) => String(r.timestamp),
    k: (r) => text(r.key),
    s: (r) => text(r.value),
    K: (r) => (r.key === null ? '-1' : String(r.key.length)),
    S: (r) => (r.value === null ? '-1' : String(r.value.length)),
    h: (r) => r.headers.map((h) => `${h.key}=${text(h.value)}`).join(','),
  };
  const named: Record<string, string> = { topic: 't', partition: 'p', offset: 'o', timestamp: 'T', key: 'k', value: 's', headers: 'h' };
  const parts: Part[] = [];
  let literal = '';
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    const next = format[i + 1];
    if (c === '%' && next !== undefined) {
      i++;
      if (next === '%') literal += '%';
      else if (fields[next]) {
        parts.push(literal, fields[next]);
        literal = '';
      } else throw new UsageError(`--format: unknown %${next} (known: %t %p %o %T %k %s %K %S %h %%)`);
    } else if (c === '\\' && next !== undefined) {
      i++;
      literal += next === 'n' ? '\n' : next === 't' ? '\t' : next === '\\' ? '\\' : `\\${next}`;
    } else if (c === '{') {
      const close = format.indexOf('}', i);
      const name = close > i ? format.slice(i + 1, close) : '';
      const letter = named[name];
      if (letter === undefined) {
        literal += c;
        continue;
      }
      parts.push(literal, fields[letter]!);
      literal = '';
      i = close;
    } else literal += c;
  }
  parts.push(literal);
  const kept = parts.filter((p) => p !== '');
  return (r) => {
    let out = '';
    for (const p of kept) out += typeof p === 'string' ? p : p(r);
    return out;
  };
}

async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const { flags: f, positionals } = parseCommandLine(argv, flags, 1);
  if (f.has('help')) {
    io.stdout(usage);
    return 0;
  }
  const topic = topicOf(positionals[0], f, 'consume');
  if (f.has('property')) throw new UsageError(`--property: tributary consume prints with --format, a template: --format '%k\\t%s\\n' prints the key, a tab and the value (print.key=true); %p partition, %o offset, %T timestamp, %h headers`);
  const fromFlag = atMostOne(f, ['from', 'from-beginning', 'offset']);
  const from = parsePosition(fromFlag === 'from-beginning' ? 'earliest' : fromFlag === undefined ? 'latest' : flag(f, fromFlag)!, fromFlag ?? 'from');
  const partition = intFlag(f, 'partition', 0, 2 ** 31 - 1);
  const max = intFlag(f, atMostOne(f, ['max', 'max-messages']) ?? 'max', 1, Number.MAX_SAFE_INTEGER);
  const groupId = flag(f, 'group');
  const exitAtEnd = f.has('exit');
  if (groupId !== undefined) {
    if (typeof from !== 'string') throw new UsageError(`with --group, --${fromFlag ?? 'from'} is earliest or latest (where a partition without a committed offset starts); move a group with "tributary groups --reset-offsets"`);
    if (partition !== undefined) throw new UsageError('--partition and --group cannot go together: the group assigns the partitions');
    if (exitAtEnd) throw new UsageError('--exit and --group cannot go together');
  }
  const format = formatter(flag(f, 'format') ?? '%s\\n');
  // Listen first: a signal while connecting stops the command too.
  let stopping = false;
  const stopped = io.untilSignal().then(() => {
    stopping = true;
  });

  return reportErrors('consume', io, () =>
    withClients(f, io, async (clients) => {
      let count = 0;
      /** Partition -> the offset after the last record printed, not yet committed (--group). */
      const printed = new Map<number, number>();
      let sinceCommit = 0;
      const print = (r: PrintableRecord) => {
        io.stdout(format(r));
        if (groupId !== undefined) {
          printed.set(r.partition, r.offset + 1);
          sinceCommit++;
        }
        count++;
        if (count % 1000 === 0) io.progress?.(`${count} records`);
      };
      let iterator: AsyncIterator<PrintableRecord>;
      let close: () => Promise<void>;
      /** With --group: commits what was printed (the next offset per partition); a no-op without. */
      let commitPrinted = async (): Promise<void> => {};
      /** Partition -> the offset to stop at (--exit); a partition leaves the map once reached. */
      const ends = new Map<number, number>();
      if (groupId !== undefined) {
        // Commits are the command's own: exactly the records it printed, the last one
        // included (a group counts a record as processed only once the next is asked for,
        // and the command stops asking after the last).
        const group = clients.consumerGroup({ groupId, topics: [topic], autoOffsetReset: from as 'earliest' | 'latest', clientId: 'tributary-cli', autoCommit: false });
        const inner = group[Symbol.asyncIterator]();
        commitPrinted = async () => {
          if (printed.size === 0) return;
          const offsets = [...printed].map(([partition, next]) => ({ topic, partition, offset: next }));
          printed.clear();
          sinceCommit = 0;
          await group.commit(offsets).catch((err: unknown) => errorLine(io, `tributary consume: commit failed: ${err instanceof Error ? err.message : String(err)}`));
        };
        iterator = {
          next: async () => {
            if (sinceCommit >= commitEveryRecords) await commitPrinted();
            return inner.next();
          },
          return: async () => (await inner.return?.()) ?? { done: true, value: undefined },
        };
        close = () => group.close();
      } else {
        const consumer = clients.consumer({ clientId: 'tributary-cli', maxWaitMs: 200, autoOffsetReset: from === 'earliest' ? 'earliest' : 'latest' });
        close = () => consumer.close();
        try {
          // Through the admin client: a topic that does not exist fails at once (within
          // --request-timeout-ms) with UNKNOWN_TOPIC_OR_PARTITION, instead of after the consumer's metadata wait.
          const admin = clients.admin();
          const described = await admin.describeTopics([topic]).finally(() => admin.close());
          const all = described[0]!.partitions.map((p) => p.partition).sort((a, b) => a - b);
          if (partition !== undefined && !all.includes(partition)) throw new UsageError(`--partition ${partition}: ${topic} has partitions 0 to ${all.length - 1}`);
          const partitions = partition !== undefined ? [partition] : all;
          const tps = partitions.map((p) => ({ topic, partition: p }));
          consumer.assign(tps);
          // An offset outside a partition starts at its end, as kcat -o and
          // kafka-console-consumer --offset do (their auto.offset.reset is latest); seeking
          // there ourselves keeps the position known, so --exit knows there is nothing to read.
          const starts = typeof from === 'number' ? await outsideOffsets(clients, topic, partitions, from, io) : new Map<number, number>();
          for (const tp of tps) await consumer.seek(tp, starts.get(tp.partition) ?? from);
          if (exitAtEnd) {
            const admin = clients.admin();
            try {
              for (const e of await admin.listOffsets(topic, 'latest')) {
                if (!partitions.includes(e.partition)) continue;
                const at = consumer.position({ topic, partition: e.partition });
                if (e.offset > (at ?? 0)) ends.set(e.partition, e.offset);
              }
            } finally {
              admin.close();
            }
          }
        } catch (err) {
          await consumer.close();
          throw err;
        }
        iterator = consumer[Symbol.asyncIterator]();
      }
      try {
        if (exitAtEnd && ends.size === 0) return 0;
        while (!stopping && (max === undefined || count < max)) {
          const next = await Promise.race([iterator.next(), stopped.then(() => undefined)]);
          if (next === undefined || next.done) break;
          const r = next.value;
          if (exitAtEnd) {
            const end = ends.get(r.partition);
            if (end === undefined || r.offset >= end) continue;
            print(r);
            if (r.offset + 1 >= end) ends.delete(r.partition);
            if (ends.size === 0) break;
          } else print(r);
        }
      } finally {
        io.progress?.(undefined);
        await Promise.race([iterator.return?.(), new Promise((r) => setTimeout(r, 1000).unref())]);
        await commitPrinted();
        await close();
      }
      return 0;
    }),
  );
}

/**
 * The partitions where `offset` is below the earliest or past the latest offset, each
 * with its latest offset (where reading starts instead), noted on stderr.
 */
async function outsideOffsets(clients: RemoteClients, topic: string, partitions: readonly number[], offset: number, io: CommandIo): Promise<Map<number, number>> {
  const admin = clients.admin();
  try {
    const [earliest, latest] = await Promise.all([admin.listOffsets(topic, 'earliest'), admin.listOffsets(topic, 'latest')]);
    const out = new Map<number, number>();
    for (const l of latest) {
      const e = earliest.find((x) => x.partition === l.partition)?.offset ?? 0;
      if (!partitions.includes(l.partition) || (offset >= e && offset <= l.offset)) continue;
      out.set(l.partition, l.offset);
      errorLine(io, `Offset ${offset} is outside partition ${topic}-${l.partition} (earliest ${e}, latest ${l.offset}): reading from its end.`);
    }
    return out;
  } finally {
    admin.close();
  }
}

export const consume: Command = { name: 'consume', summary: "print a topic's records (kcat -C, kafka-console-consumer)", run };
