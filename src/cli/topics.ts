/**
 * `tributary topics`: list, create, alter (partitions), describe and delete topics, as Kafka's
 * `kafka-topics.sh` does.
 *
 * ```sh
 * tributary topics --bootstrap-server 127.0.0.1:9092 --create orders --partitions 3 --replication-factor 3 --config retention.ms=3600000
 * tributary topics --bootstrap-server 127.0.0.1:9092 --describe orders
 * ```
 * @internal
 */
import { isTributaryError, TributaryError } from '../util/errors.js';
import { intFlag, oneOf, parseCommandLine, subject, UsageError, type FlagSpec } from './args.js';
import type { Command, CommandIo } from './command.js';
import { clientFlags, clientFlagsUsage, reportErrors, withClients } from './remote.js';

const flags: Record<string, FlagSpec> = {
  ...clientFlags,
  list: { value: false },
  // Each action names its topic as its value or with --topic, kafka-topics.sh's spelling.
  create: { value: true, optional: true },
  alter: { value: true, optional: true },
  describe: { value: true, optional: true },
  delete: { value: true, optional: true },
  topic: { value: true },
  partitions: { value: true },
  'replication-factor': { value: true },
  config: { value: true, repeat: true },
  'if-not-exists': { value: false },
  'exclude-internal': { value: false },
};

const usage = `Usage: tributary topics --bootstrap-server H:P ACTION [options]

Actions (one); NAME is the action's value or, as kafka-topics.sh has it, --topic NAME:
  --list                       the topics' names, one a line
  --create NAME                create a topic
      --partitions N           partitions (default: the cluster's num.partitions)
      --replication-factor N   replicas of each partition (default: the cluster's)
      --config K=V             a topic config, such as retention.ms=3600000 (repeatable)
      --if-not-exists          a topic that exists already is not an error
  --alter NAME --partitions N  raise a topic's partition count to N (as kafka-topics.sh
                               --alter; configs change with the admin's alterConfigs)
  --describe [NAME]            partitions, leaders, replicas, ISR and configs set on the
                               topic (every topic without NAME)
  --delete NAME                delete a topic and its records
Options:
  --exclude-internal           leave out internal topics (__consumer_offsets) from --list and --describe
${clientFlagsUsage}
`;

async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const { flags: f, positionals } = parseCommandLine(argv, flags, 1);
  if (f.has('help')) {
    io.stdout(usage);
    return 0;
  }
  const action = oneOf(f, ['list', 'create', 'alter', 'describe', 'delete']);
  if (positionals.length > 0 && action !== 'describe') throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  if (action === 'list' && f.has('topic')) throw new UsageError('--topic goes with --create, --alter, --describe or --delete');
  // --describe T, --describe --topic T, or the older --describe with T after the flags.
  if (action === 'describe' && positionals.length > 0) {
    if (f.get('describe')![0] !== '') throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    f.set('describe', [positionals[0]!]);
  }
  const name = action === 'list' ? '' : action === 'describe' && !f.has('topic') && f.get('describe')![0] === '' ? '' : subject(f, action, 'topic', 'topic');
  if (action !== 'create') {
    for (const only of ['replication-factor', 'config', 'if-not-exists']) if (f.has(only)) throw new UsageError(`--${only} goes with --create`);
    if (action !== 'alter' && f.has('partitions')) throw new UsageError('--partitions goes with --create or --alter');
  }
  if (action === 'alter' && !f.has('partitions')) throw new UsageError('--alter needs --partitions N');
  const partitions = intFlag(f, 'partitions', 1, 1_000_000);
  const replicationFactor = intFlag(f, 'replication-factor', 1, 32767);
  const configs: Record<string, string> = {};
  for (const kv of f.get('config') ?? []) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new UsageError(`--config wants NAME=VALUE, got ${JSON.stringify(kv)}`);
    configs[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  const excludeInternal = f.has('exclude-internal');
  return reportErrors('topics', io, () =>
    withClients(f, io, async (clients) => {
      const admin = clients.admin();
      try {
        switch (action) {
          case 'list': {
            const names = (await admin.listTopics()).filter((n) => !(excludeInternal && n.startsWith('__'))).sort();
            io.stdout(names.map((n) => `${n}\n`).join(''));
            return 0;
          }
          case 'create': {
            await admin
              .createTopics(
                [{ name, ...(partitions !== undefined ? { partitions } : {}), ...(replicationFactor !== undefined ? { replicationFactor } : {}), ...(Object.keys(configs).length > 0 ? { configs } : {}) }],
                { ifNotExists: f.has('if-not-exists') },
              )
              .catch((err: unknown) => {
                // The admin's message names its API option; here the flag is what to type.
                if (isTributaryError(err, 'TOPIC_ALREADY_EXISTS')) throw new TributaryError('TOPIC_ALREADY_EXISTS', `topic ${name} already exists (--if-not-exists leaves an existing topic as it is)`, { topic: name, cause: err });
                throw err;
              });
            io.stdout(`Created topic ${name}.\n`);
            return 0;
          }
          case 'alter': {
            await admin.createPartitions(name, partitions!);
            io.stdout(`Topic ${name} has ${partitions} partitions.\n`);
            return 0;
          }
          case 'delete': {
            await admin.deleteTopics([name]);
            io.stdout(`Deleted topic ${name}.\n`);
            return 0;
          }
          case 'describe': {
            const names = name !== '' ? [name] : (await admin.listTopics()).filter((n) => !(excludeInternal && n.startsWith('__'))).sort();
            const described = await admin.describeTopics(names);
            let out = '';
            for (const t of described) {
              const configs = await admin.describeConfigs(t.name);
              const set = Object.entries(configs)
                .filter(([, e]) => e.source === 'TOPIC_CONFIG' && e.value !== null)
                .map(([k, e]) => `${k}=${e.value}`)
                .sort();
              const rf = t.partitions[0]?.replicas.length ?? 0;
              out += `Topic: ${t.name}\tTopicId: ${t.topicId}\tPartitionCount: ${t.partitions.length}\tReplicationFactor: ${rf}\tConfigs: ${set.join(',')}\n`;
              for (const p of [...t.partitions].sort((a, b) => a.partition - b.partition)) {
                out += `\tTopic: ${t.name}\tPartition: ${p.partition}\tLeader: ${p.leader < 0 ? 'none' : p.leader}\tReplicas: ${p.replicas.join(',')}\tIsr: ${p.isr.join(',')}${p.offlineReplicas.length > 0 ? `\tOffline: ${p.offlineReplicas.join(',')}` : ''}\n`;
              }
            }
            io.stdout(out);
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

export const topics: Command = { name: 'topics', summary: 'list, create, alter, describe and delete topics (kafka-topics.sh)', run };
