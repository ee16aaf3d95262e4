/**
 * `tributary groups`: list, describe, move and delete consumer groups and their offsets, as Kafka's
 * `kafka-consumer-groups.sh` does.
 *
 * ```sh
 * tributary groups --bootstrap-server 127.0.0.1:9092 --describe audit
 * tributary groups --bootstrap-server 127.0.0.1:9092 --reset-offsets audit --topic orders --to earliest --execute
 * ```
 * @internal
 */
import { atMostOne, flag, oneOf, parseCommandLine, subject, UsageError, type FlagSpec } from './args.js';
import type { Command, CommandIo } from './command.js';
import { clientFlags, clientFlagsUsage, errorLine, parsePosition, reportErrors, table, withClients } from './remote.js';

const flags: Record<string, FlagSpec> = {
  ...clientFlags,
  list: { value: false },
  // Each action names its group as its value or with --group, kafka-consumer-groups.sh's spelling.
  describe: { value: true, optional: true },
  'reset-offsets': { value: true, optional: true },
  'delete-offsets': { value: true, optional: true },
  delete: { value: true, optional: true },
  group: { value: true },
  topic: { value: true },
  to: { value: true },
  // kafka-consumer-groups.sh's ways to say --to.
  'to-earliest': { value: false },
  'to-latest': { value: false },
  'to-offset': { value: true },
  'to-datetime': { value: true },
  execute: { value: false },
  'dry-run': { value: false },
  format: { value: true },
};

const usage = `Usage: tributary groups --bootstrap-server H:P ACTION [options]

Actions (one); ID is the action's value or, as kafka-consumer-groups.sh has it, --group ID:
  --list                    the groups' ids, one a line
  --describe ID             the group's state, members and what each owns, and every
                            committed offset with the log end offset and the lag
  --reset-offsets ID        move the group's committed offsets for a topic (the group must
                            have no members: stop its consumers first)
      --topic T             the topic (required)
      --to POS              earliest, latest, an offset, or an ISO time (required; or
                            Kafka's --to-earliest, --to-latest, --to-offset N,
                            --to-datetime TIME)
      --execute             do it; without it the new offsets are only shown (a dry run,
                            as Kafka's tool does)
  --delete-offsets ID       delete the group's committed offsets of a topic's partitions
                            (its members must not read the topic)
      --topic T[:P,P...]    the topic, every partition or those listed (required)
  --delete ID               delete the group and its committed offsets (it must be empty)
Options:
  --format json             --list and --describe as JSON, for scripts
${clientFlagsUsage}
`;

async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const { flags: f } = parseCommandLine(argv, flags, 0);
  if (f.has('help')) {
    io.stdout(usage);
    return 0;
  }
  const action = oneOf(f, ['list', 'describe', 'reset-offsets', 'delete-offsets', 'delete']);
  const format = flag(f, 'format');
  if (format !== undefined && format !== 'json' && format !== 'table') throw new UsageError(`--format wants json or table, got ${JSON.stringify(format)}`);
  const json = format === 'json';
  const toFlag = atMostOne(f, ['to', 'to-earliest', 'to-latest', 'to-offset', 'to-datetime']);
  if (action === 'list' && f.has('group')) throw new UsageError('--group goes with --describe, --reset-offsets, --delete-offsets or --delete');
  const groupId = action === 'list' ? '' : subject(f, action, 'group', 'group');
  if (action !== 'reset-offsets') {
    if (toFlag !== undefined) throw new UsageError(`--${toFlag} goes with --reset-offsets`);
    for (const only of ['execute', 'dry-run']) if (f.has(only)) throw new UsageError(`--${only} goes with --reset-offsets`);
    if (action !== 'delete-offsets' && f.has('topic')) throw new UsageError('--topic goes with --reset-offsets or --delete-offsets');
  }
  let topic: string | undefined;
  let to: ReturnType<typeof parsePosition> | undefined;
  if (action === 'reset-offsets') {
    topic = flag(f, 'topic');
    if (topic === undefined) throw new UsageError('--reset-offsets needs --topic T');
    if (toFlag === undefined) throw new UsageError('--reset-offsets needs --to earliest|latest|OFFSET|TIME');
    const toText = toFlag === 'to-earliest' ? 'earliest' : toFlag === 'to-latest' ? 'latest' : flag(f, toFlag)!;
    if (toFlag === 'to-offset' && !/^\d+$/.test(toText)) throw new UsageError(`--to-offset wants an offset, got ${JSON.stringify(toText)}`);
    if (toFlag === 'to-datetime' && !/^\d{4}-\d{2}-\d{2}/.test(toText)) throw new UsageError(`--to-datetime wants a time such as 2026-12-06T10:00:00.000, got ${JSON.stringify(toText)}`);
    to = parsePosition(toText, toFlag);
    if (f.has('execute') && f.has('dry-run')) throw new UsageError('--execute and --dry-run cannot go together');
  }
  // --delete-offsets --topic T or T:0,2 (Kafka's tool's form).
  let partitions: number[] | undefined;
  if (action === 'delete-offsets') {
    const spec = flag(f, 'topic');
    if (spec === undefined) throw new UsageError('--delete-offsets needs --topic T or T:P,P...');
    const colon = spec.lastIndexOf(':');
    topic = colon < 0 ? spec : spec.slice(0, colon);
    if (colon >= 0) {
      partitions = spec.slice(colon + 1).split(',').map((p) => {
        if (!/^(0|[1-9][0-9]{0,9})$/.test(p) || Number(p) > 0x7fffffff) throw new UsageError(`--topic ${spec}: a partition must be an integer from 0 to 2147483647, got ${JSON.stringify(p)}`);
        return Number(p);
      });
    }
  }

  return reportErrors('groups', io, () =>
    withClients(f, io, async (clients) => {
      const admin = clients.admin();
      try {
        switch (action) {
          case 'list': {
            const groups = await admin.listGroups();
            io.stdout(json ? `${JSON.stringify(groups)}\n` : groups.map((g) => `${g.groupId}\n`).join(''));
            return 0;
          }
          case 'describe': {
            const d = await admin.describeGroup(groupId);
            if (json) {
              io.stdout(`${JSON.stringify(d)}\n`);
              return 0;
            }
            const owner = new Map<string, { memberId: string; clientId: string; clientHost: string }>();
            for (const m of d.members) for (const tp of m.assignment) owner.set(`${tp.partition}:${tp.topic}`, m);
            // kafka-consumer-groups.sh's columns, in its order (scripts pick them by position:
            // LAG is the sixth).
            const rows: (string | number)[][] = [['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID']];
            const seen = new Set<string>();
            for (const o of d.offsets) {
              const key = `${o.partition}:${o.topic}`;
              seen.add(key);
              const m = owner.get(key);
              rows.push([d.groupId, o.topic, o.partition, o.committed, o.end < 0 ? '-' : o.end, o.lag < 0 ? '-' : o.lag, m?.memberId ?? '-', m?.clientHost || '-', m?.clientId ?? '-']);
            }
            // Owned partitions without a committed offset yet.
            for (const m of d.members) for (const tp of m.assignment) if (!seen.has(`${tp.partition}:${tp.topic}`)) rows.push([d.groupId, tp.topic, tp.partition, '-', '-', '-', m.memberId, m.clientHost || '-', m.clientId]);
            let out = `Group ${d.groupId}: state ${d.state}, ${d.members.length} member${d.members.length === 1 ? '' : 's'}${d.protocol ? `, assignor ${d.protocol}` : ''}, coordinator ${d.coordinator}\n\n`;
            out += table(rows);
            if (d.members.length > 0) {
              out += `\n${table([['CONSUMER-ID', 'CLIENT-ID', 'GROUP-INSTANCE-ID', 'PARTITIONS'], ...d.members.map((m) => [m.memberId, m.clientId, m.groupInstanceId ?? '-', m.assignment.map((tp) => `${tp.topic}-${tp.partition}`).join(',') || '-'])])}`;
            }
            io.stdout(out);
            return 0;
          }
          case 'reset-offsets': {
            const planned = await admin.resetGroupOffsets(groupId, topic!, to!, { dryRun: !f.has('execute') });
            planned.sort((a, b) => a.partition - b.partition);
            // As Kafka's tool: an offset past a partition's end (or before its start) is moved there, with a note.
            if (typeof to === 'number') for (const p of planned) if (p.offset !== to) errorLine(io, `Offset ${to} is outside partition ${topic}-${p.partition} (${p.offset < to ? 'latest' : 'earliest'} ${p.offset}): it will be set to ${p.offset}.`);
            io.stdout(table([['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET'], ...planned.map((p) => [groupId, topic!, p.partition, p.offset])]));
            if (!f.has('execute')) errorLine(io, 'Dry run: nothing changed. Add --execute to move the offsets.');
            return 0;
          }
          case 'delete-offsets': {
            const chosen = partitions ?? (await admin.describeTopics([topic!]))[0]!.partitions.map((p) => p.partition);
            await admin.deleteGroupOffsets(groupId, chosen.map((partition) => ({ topic: topic!, partition })));
            io.stdout(table([['TOPIC', 'PARTITION', 'STATUS'], ...chosen.map((p) => [topic!, p, 'Successful'])]));
            return 0;
          }
          case 'delete': {
            await admin.deleteGroup(groupId);
            io.stdout(`Deleted group ${groupId}.\n`);
            return 0;
          }
        }
        throw new UsageError(`unknown action --${action}`);
      } finally {
        admin.close();
      }
    }),
  );
}

export const groups: Command = { name: 'groups', summary: 'list, describe, reset and delete consumer groups (kafka-consumer-groups.sh)', run };
