/**
 * A Kafka user's hands type Kafka's own flags: `kafka-topics.sh --create --topic T`,
 * `kafka-console-producer.sh --topic T --property parse.key=true`,
 * `kafka-console-consumer.sh --topic T --from-beginning --max-messages N`,
 * `kafka-consumer-groups.sh --describe --group G`, `--reset-offsets --to-earliest`,
 * `kafka-dump-log.sh --files F --print-data-log`. Each works as the command's own
 * spelling does; a Kafka flag Tributary has no equivalent for is a usage error that
 * says what to type instead.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from '../cluster.js';
import { runCli, type Ran } from '../../test/helpers/cli.js';

let cluster: Cluster;
let bs: string;

beforeAll(async () => {
  cluster = await Cluster.start({ listen: { port: 0 } });
  bs = cluster.bootstrapServers;
}, 60_000);
afterAll(async () => {
  await cluster?.close();
});

const cli = (argv: readonly string[], stdin?: readonly string[]): Promise<Ran> => runCli(argv, { clientId: 'kafka-spellings-test', ...(stdin ? { stdin } : {}) });

describe("Kafka's flag spellings", () => {
  it('topics: --create, --describe, --alter and --delete take --topic NAME, as kafka-topics.sh', async () => {
    expect(await cli(['topics', '--bootstrap-server', bs, '--create', '--topic', 'ks-orders', '--partitions', '2', '--replication-factor', '1'])).toEqual({ code: 0, out: 'Created topic ks-orders.\n', err: '' });
    const described = await cli(['topics', '--bootstrap-server', bs, '--describe', '--topic', 'ks-orders']);
    expect(described.code).toBe(0);
    expect(described.out).toMatch(/^Topic: ks-orders\tTopicId: \S+\tPartitionCount: 2\t/);
    expect(described.out.trimEnd().split('\n')).toHaveLength(3);
    expect(await cli(['topics', '--bootstrap-server', bs, '--alter', '--topic', 'ks-orders', '--partitions', '3'])).toEqual({ code: 0, out: 'Topic ks-orders has 3 partitions.\n', err: '' });
    // Tributary's own spelling still works, and the two together must agree.
    expect((await cli(['topics', '--bootstrap-server', bs, '--describe', 'ks-orders'])).out).toMatch(/PartitionCount: 3\t/);
    const both = await cli(['topics', '--bootstrap-server', bs, '--delete', 'ks-orders', '--topic', 'other']);
    expect(both.code).toBe(2);
    expect(both.err).toMatch(/--delete ks-orders and --topic other name different topics/);
    const none = await cli(['topics', '--bootstrap-server', bs, '--create']);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/--create needs a topic: --create NAME or --create --topic NAME/);
    const onList = await cli(['topics', '--bootstrap-server', bs, '--list', '--topic', 'x']);
    expect(onList.code).toBe(2);
    expect(onList.err).toMatch(/--topic goes with --create, --alter, --describe or --delete/);
    // TOPIC_ALREADY_EXISTS says what to type on the command line, not in the API.
    const again = await cli(['topics', '--bootstrap-server', bs, '--create', '--topic', 'ks-orders']);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/^tributary topics: TOPIC_ALREADY_EXISTS: .*ks-orders.*--if-not-exists/);
    expect(await cli(['topics', '--bootstrap-server', bs, '--delete', '--topic', 'ks-orders'])).toEqual({ code: 0, out: 'Deleted topic ks-orders.\n', err: '' });
  }, 60_000);

  it('produce and consume: --topic, --property parse.key=true and key.separator, --from-beginning, --max-messages, --offset', async () => {
    await cluster.admin().createTopics([{ name: 'ks-lines', partitions: 1 }]);
    // key.separator defaults to a tab, as in kafka-console-producer.
    expect(await cli(['produce', '--bootstrap-server', bs, '--topic', 'ks-lines', '--property', 'parse.key=true'], ['k1\tv1'])).toEqual({ code: 0, out: '', err: '' });
    expect(await cli(['produce', '--bootstrap-server', bs, '--topic', 'ks-lines', '--property', 'parse.key=true', '--property', 'key.separator=:'], ['k2:v2'])).toEqual({ code: 0, out: '', err: '' });
    // A separator without parse.key is not used: the whole line is the value, as Kafka's tool does.
    expect(await cli(['produce', 'ks-lines', '--bootstrap-server', bs, '--property', 'key.separator=:'], ['k3:v3'])).toEqual({ code: 0, out: '', err: '' });
    const read = await cli(['consume', '--bootstrap-server', bs, '--topic', 'ks-lines', '--from-beginning', '--max-messages', '3', '--format', '%k|%s\n']);
    expect(read).toEqual({ code: 0, out: 'k1|v1\nk2|v2\n|k3:v3\n', err: '' });
    const fromOffset = await cli(['consume', 'ks-lines', '--bootstrap-server', bs, '--partition', '0', '--offset', '1', '--max-messages', '1']);
    expect(fromOffset).toEqual({ code: 0, out: 'v2\n', err: '' });

    const unknownProperty = await cli(['produce', 'ks-lines', '--bootstrap-server', bs, '--property', 'ignore.error=true'], ['x']);
    expect(unknownProperty.code).toBe(2);
    expect(unknownProperty.err).toMatch(/--property ignore\.error: known are parse\.key and key\.separator/);
    const consumeProperty = await cli(['consume', 'ks-lines', '--bootstrap-server', bs, '--property', 'print.key=true']);
    expect(consumeProperty.code).toBe(2);
    expect(consumeProperty.err).toMatch(/--property: tributary consume prints with --format.*%k/);
    const twice = await cli(['consume', 'ks-lines', '--bootstrap-server', bs, '--from-beginning', '--from', 'latest']);
    expect(twice.code).toBe(2);
    expect(twice.err).toMatch(/--from and --from-beginning cannot go together/);
    // With --group an offset is refused, naming the flag that was typed.
    for (const spelling of ['--offset', '--from']) {
      const grouped = await cli(['consume', 'ks-lines', '--bootstrap-server', bs, '--group', 'ks-g', spelling, '1']);
      expect(grouped.code).toBe(2);
      expect(grouped.err).toMatch(new RegExp(`with --group, ${spelling} is earliest or latest`));
    }
    const twoTopics = await cli(['produce', 'ks-lines', '--bootstrap-server', bs, '--topic', 'other'], ['x']);
    expect(twoTopics.code).toBe(2);
    expect(twoTopics.err).toMatch(/ks-lines and --topic other name different topics/);
  }, 60_000);

  it('groups: --describe, --reset-offsets, --delete-offsets and --delete take --group ID; --to-earliest, --to-latest, --to-offset, --to-datetime', async () => {
    await cluster.admin().createTopics([{ name: 'ks-group-topic', partitions: 1 }]);
    await cluster.producer().send('ks-group-topic', [{ value: 'a' }, { value: 'b' }, { value: 'c' }]);
    await cluster.admin().alterGroupOffsets('ks-group', [{ topic: 'ks-group-topic', partition: 0, offset: 1 }]);
    const described = await cli(['groups', '--bootstrap-server', bs, '--describe', '--group', 'ks-group']);
    expect(described.code).toBe(0);
    expect(described.out).toMatch(/^Group ks-group: /);
    expect(described.out).toMatch(/ks-group-topic +0 +1 +3 +2 /);
    const reset = (to: string[]) => cli(['groups', '--bootstrap-server', bs, '--reset-offsets', '--group', 'ks-group', '--topic', 'ks-group-topic', ...to, '--execute']);
    const offsetOf = async () => (await cluster.admin().describeGroup('ks-group')).offsets[0]!.committed;
    expect((await reset(['--to-earliest'])).code).toBe(0);
    expect(await offsetOf()).toBe(0);
    expect((await reset(['--to-latest'])).code).toBe(0);
    expect(await offsetOf()).toBe(3);
    expect((await reset(['--to-offset', '2'])).code).toBe(0);
    expect(await offsetOf()).toBe(2);
    expect((await reset(['--to-datetime', '2000-01-01T00:00:00.000Z'])).code).toBe(0);
    expect(await offsetOf()).toBe(0);
    const two = await reset(['--to-earliest', '--to', 'latest']);
    expect(two.code).toBe(2);
    expect(two.err).toMatch(/--to and --to-earliest cannot go together/);
    const noGroup = await cli(['groups', '--bootstrap-server', bs, '--describe']);
    expect(noGroup.code).toBe(2);
    expect(noGroup.err).toMatch(/--describe needs a group: --describe ID or --describe --group ID/);
    const deletedOffsets = await cli(['groups', '--bootstrap-server', bs, '--delete-offsets', '--group', 'ks-group', '--topic', 'ks-group-topic']);
    expect(deletedOffsets.code).toBe(0);
    expect(await cli(['groups', '--bootstrap-server', bs, '--delete', '--group', 'ks-group'])).toEqual({ code: 0, out: 'Deleted group ks-group.\n', err: '' });
  }, 60_000);

  it('dump-log: --files F[,F...] and --print-data-log, as kafka-dump-log.sh', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tributary-ks-dump-'));
    try {
      const { PartitionLog } = await import('../storage/partition-log.js');
      const { encodeBatch } = await import('../record/codecs/index.js');
      for (const partition of [0, 1]) {
        const log = await PartitionLog.open({ dataDir, topic: 'dl', partition });
        try {
          log.write(await encodeBatch([{ key: Buffer.from('k'), value: Buffer.from(`hello ${partition}`) }]));
        } finally {
          await log.close();
        }
      }
      const file = (partition: number) => join(dataDir, `dl-${partition}`, '00000000000000000000.log');
      const ours = await cli(['dump-log', file(0), '--print-data']);
      const kafkas = await cli(['dump-log', '--files', file(0), '--print-data-log']);
      expect(kafkas).toEqual(ours);
      expect(kafkas.out).toMatch(/payload: hello 0\n/);
      const two = await cli(['dump-log', '--files', `${file(0)},${file(1)}`, '--print-data-log']);
      expect(two.code).toBe(0);
      expect(two.out).toMatch(/Dumping .*dl-0.*\.log\n[\s\S]*payload: hello 0\n[\s\S]*Dumping .*dl-1.*\.log\n[\s\S]*payload: hello 1\n/);
      const both = await cli(['dump-log', dataDir, '--files', file(0)]);
      expect(both.code).toBe(2);
      expect(both.err).toMatch(/a DIR\|FILE argument and --files cannot go together/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
