/**
 * The client commands end to end against a served cluster: each command line runs
 * through `dispatch` exactly as the `bin` runs it (flags, exit codes, stdout and stderr),
 * its clients connected with `connect()` over TCP to a cluster with a Kafka listener.
 * The last test runs the real `tributary` process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from '../cluster.js';
import { connect } from '../connect.js';
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

/** A command line as the `bin` runs it, its clients over TCP as the `bin` connects. */
const cli = (argv: readonly string[], options: { stdin?: readonly string[]; signal?: Promise<void> } = {}): Promise<Ran> =>
  runCli(argv, { clientId: 'tributary-cli-test', ...options });

describe('tributary topics', () => {
  it('creates, lists, describes and deletes topics, with exit codes scripts can trust', async () => {
    const created = await cli(['topics', '--bootstrap-server', bs, '--create', 'cli-orders', '--partitions', '3', '--replication-factor', '1', '--config', 'retention.ms=3600000']);
    expect(created).toEqual({ code: 0, out: 'Created topic cli-orders.\n', err: '' });

    const listed = await cli(['topics', '--bootstrap-server', bs, '--list', '--exclude-internal']);
    expect(listed.code).toBe(0);
    expect(listed.out.split('\n')).toContain('cli-orders');
    expect(listed.out.split('\n').filter((l) => l.startsWith('__'))).toEqual([]);

    const described = await cli(['topics', '--bootstrap-server', bs, '--describe', 'cli-orders']);
    expect(described.code).toBe(0);
    const lines = described.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^Topic: cli-orders\tTopicId: \S+\tPartitionCount: 3\tReplicationFactor: 1\tConfigs: retention\.ms=3600000$/);
    expect(lines.slice(1)).toEqual([0, 1, 2].map((p) => expect.stringMatching(new RegExp(`^\\tTopic: cli-orders\\tPartition: ${p}\\tLeader: 1\\tReplicas: 1\\tIsr: 1$`))));

    const again = await cli(['topics', '--bootstrap-server', bs, '--create', 'cli-orders']);
    expect(again.code).toBe(1);
    expect(again.out).toBe('');
    expect(again.err).toMatch(/^tributary topics: TOPIC_ALREADY_EXISTS: .*cli-orders/);
    expect((await cli(['topics', '--bootstrap-server', bs, '--create', 'cli-orders', '--if-not-exists'])).code).toBe(0);

    expect(await cli(['topics', '--bootstrap-server', bs, '--delete', 'cli-orders'])).toEqual({ code: 0, out: 'Deleted topic cli-orders.\n', err: '' });
    expect((await cli(['topics', '--bootstrap-server', bs, '--list'])).out.split('\n')).not.toContain('cli-orders');
    const gone = await cli(['topics', '--bootstrap-server', bs, '--describe', 'cli-orders']);
    expect(gone.code).toBe(1);
    expect(gone.err).toContain('UNKNOWN_TOPIC_OR_PARTITION');
  }, 60_000);

  it('refuses bad arguments with exit code 2, naming the nearest flag', async () => {
    const typo = await cli(['topics', '--bootstrap-server', bs, '--create', 'x', '--partitons', '3']);
    expect(typo.code).toBe(2);
    expect(typo.err).toContain('unknown option --partitons; did you mean --partitions?');
    const none = await cli(['topics', '--bootstrap-server', bs]);
    expect(none.code).toBe(2);
    expect(none.err).toContain('one of --list, --create, --alter, --describe, --delete');
    const two = await cli(['topics', '--bootstrap-server', bs, '--list', '--delete', 'x']);
    expect(two.code).toBe(2);
    const noServer = await cli(['topics', '--list']);
    expect(noServer.code).toBe(2);
    expect(noServer.err).toContain('--bootstrap-server is required');
    const help = await cli(['topics', '--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('--replication-factor');
  });
});

describe('tributary produce and consume', () => {
  it('produces lines with keys and reads them back in a template, as JSON, from an offset and from a time', async () => {
    await cli(['topics', '--bootstrap-server', bs, '--create', 'cli-lines', '--partitions', '2']);
    const lines = ['a:apple', 'b:banana', 'c:cherry', 'a:apricot', 'd:date:with:colons'];
    const produced = await cli(['produce', 'cli-lines', '--bootstrap-server', bs, '--key-separator', ':', '--print-metadata'], { stdin: lines });
    expect(produced.err).toBe('');
    expect(produced.code).toBe(0);
    const written = produced.out.trimEnd().split('\n');
    expect(written).toHaveLength(5);
    for (const w of written) expect(w).toMatch(/^cli-lines-[01]@\d+$/);

    const templated = await cli(['consume', 'cli-lines', '--bootstrap-server', bs, '--from', 'earliest', '--max', '5', '--format', '%k=%s p%p\\n']);
    expect(templated.code).toBe(0);
    const got = templated.out.trimEnd().split('\n');
    expect(got.map((l) => l.replace(/ p\d$/, '')).sort()).toEqual(['a=apple', 'a=apricot', 'b=banana', 'c=cherry', 'd=date:with:colons']);
    // Same key, same partition.
    expect(got.find((l) => l.startsWith('a=apple'))!.slice(-1)).toBe(got.find((l) => l.startsWith('a=apricot'))!.slice(-1));

    const json = await cli(['consume', 'cli-lines', '--bootstrap-server', bs, '--from', 'earliest', '--exit', '--format', 'json']);
    expect(json.code).toBe(0);
    const records = json.out.trimEnd().split('\n').map((l) => JSON.parse(l) as { topic: string; partition: number; offset: number; timestamp: number; key: string; value: string; headers: unknown[] });
    expect(records).toHaveLength(5);
    expect(records.map((r) => r.value).sort()).toEqual(['apple', 'apricot', 'banana', 'cherry', 'date:with:colons']);
    for (const r of records) {
      expect(r.topic).toBe('cli-lines');
      expect(written).toContain(`cli-lines-${r.partition}@${r.offset}`);
      expect(r.headers).toEqual([]);
    }

    // From an offset, one partition, named fields.
    const p = records.find((r) => r.key === 'a')!.partition;
    const fromOffset = await cli(['consume', 'cli-lines', '--bootstrap-server', bs, '--partition', String(p), '--from', '1', '--exit', '--format', '{offset} {value}\\n']);
    expect(fromOffset.err).toBe('');
    expect(fromOffset.code).toBe(0);
    const expected = records.filter((r) => r.partition === p && r.offset >= 1).sort((a, b) => a.offset - b.offset);
    expect(fromOffset.out).toBe(expected.map((r) => `${r.offset} ${r.value}\n`).join(''));

    // From a time after every record: nothing before --exit's end.
    const future = new Date(Math.max(...records.map((r) => r.timestamp)) + 60_000).toISOString();
    const late = await cli(['consume', 'cli-lines', '--bootstrap-server', bs, '--from', future, '--exit']);
    expect(late).toEqual({ code: 0, out: '', err: '' });
  }, 60_000);

  it('sends with compression, acks and headers; a line without the separator fails the command but not the others', async () => {
    const produced = await cli(['produce', 'cli-gzip', '--bootstrap-server', bs, '--compression', 'gzip', '--acks', '1', '--header', 'source=cli', '--key-separator', '\t'], { stdin: ['k\tone', 'no separator here', 'k\ttwo'] });
    expect(produced.code).toBe(1);
    expect(produced.out).toBe('');
    expect(produced.err).toContain('line 2 has no key separator');
    const read = await cli(['consume', 'cli-gzip', '--bootstrap-server', bs, '--from', 'earliest', '--max', '2', '--format', '%o %k %s %h\\n']);
    expect(read).toEqual({ code: 0, out: '0 k one source=cli\n1 k two source=cli\n', err: '' });

    for (const [flagName, value, message] of [
      ['--acks', '2', '--acks wants 0, 1 or all'],
      ['--compression', 'brotli', '--compression wants one of none, gzip, snappy, lz4, zstd'],
      ['--partition', '-1', '--partition must be an integer'],
    ] as const) {
      const bad = await cli(['produce', 'cli-gzip', '--bootstrap-server', bs, flagName, value], { stdin: ['x'] });
      expect(bad.code).toBe(2);
      expect(bad.err).toContain(message);
    }
    const unknown = await cli(['consume', 'cli-nosuch', '--bootstrap-server', bs, '--max', '1']);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('UNKNOWN_TOPIC_OR_PARTITION');
    const noTopic = await cli(['consume', '--bootstrap-server', bs]);
    expect(noTopic.code).toBe(2);
    const badFrom = await cli(['consume', 'cli-gzip', '--bootstrap-server', bs, '--from', 'yesterday']);
    expect(badFrom.code).toBe(2);
    expect(badFrom.err).toContain('--from wants earliest, latest, an offset, or an ISO time');
    const badFormat = await cli(['consume', 'cli-gzip', '--bootstrap-server', bs, '--format', '%q']);
    expect(badFormat.code).toBe(2);
    expect(badFormat.err).toContain('unknown %q');
  }, 60_000);

  it('consume stops on a signal with exit code 0', async () => {
    await cli(['topics', '--bootstrap-server', bs, '--create', 'cli-quiet']);
    let signal!: () => void;
    const signalled = new Promise<void>((r) => (signal = r));
    const running = cli(['consume', 'cli-quiet', '--bootstrap-server', bs], { signal: signalled });
    signal();
    expect(await running).toEqual({ code: 0, out: '', err: '' });
  }, 60_000);
});

describe('tributary groups', () => {
  it('lists, describes with lag, resets (dry run, then --execute) and deletes a group', async () => {
    await cli(['topics', '--bootstrap-server', bs, '--create', 'cli-events', '--partitions', '2']);
    const produced = await cli(['produce', 'cli-events', '--bootstrap-server', bs, '--partition', '0'], { stdin: ['e0', 'e1', 'e2', 'e3'] });
    expect(produced.code).toBe(0);
    await cli(['produce', 'cli-events', '--bootstrap-server', bs, '--partition', '1'], { stdin: ['f0', 'f1'] });

    const consumed = await cli(['consume', 'cli-events', '--bootstrap-server', bs, '--group', 'cli-audit', '--from', 'earliest', '--max', '6']);
    expect(consumed.code).toBe(0);
    expect(consumed.out.trimEnd().split('\n').sort()).toEqual(['e0', 'e1', 'e2', 'e3', 'f0', 'f1']);
    await cli(['produce', 'cli-events', '--bootstrap-server', bs, '--partition', '0'], { stdin: ['e4'] });

    const listed = await cli(['groups', '--bootstrap-server', bs, '--list']);
    expect(listed.code).toBe(0);
    expect(listed.out.split('\n')).toContain('cli-audit');

    const described = await cli(['groups', '--bootstrap-server', bs, '--describe', 'cli-audit']);
    expect(described.code).toBe(0);
    expect(described.out).toMatch(/^Group cli-audit: state Empty, 0 members/);
    // kafka-consumer-groups.sh's columns in its order: scripts pick LAG as the sixth.
    expect(described.out).toMatch(/^GROUP +TOPIC +PARTITION +CURRENT-OFFSET +LOG-END-OFFSET +LAG +CONSUMER-ID +HOST +CLIENT-ID$/m);
    const rows = described.out.split('\n').filter((l) => l.startsWith('cli-audit ')).map((l) => l.split(/\s+/));
    expect(rows.map((r) => r.slice(0, 6))).toEqual([
      ['cli-audit', 'cli-events', '0', '4', '5', '1'],
      ['cli-audit', 'cli-events', '1', '2', '2', '0'],
    ]);
    const json = await cli(['groups', '--bootstrap-server', bs, '--describe', 'cli-audit', '--format', 'json']);
    expect((JSON.parse(json.out) as { offsets: { lag: number }[] }).offsets.map((o) => o.lag)).toEqual([1, 0]);

    const dry = await cli(['groups', '--bootstrap-server', bs, '--reset-offsets', 'cli-audit', '--topic', 'cli-events', '--to', 'earliest']);
    expect(dry.code).toBe(0);
    expect(dry.out.trimEnd().split('\n').slice(1).map((l) => l.split(/\s+/))).toEqual([
      ['cli-audit', 'cli-events', '0', '0'],
      ['cli-audit', 'cli-events', '1', '0'],
    ]);
    expect(dry.err).toContain('Dry run');
    const unchanged = await cli(['groups', '--bootstrap-server', bs, '--describe', 'cli-audit', '--format', 'json']);
    expect((JSON.parse(unchanged.out) as { offsets: { committed: number }[] }).offsets.map((o) => o.committed)).toEqual([4, 2]);

    const reset = await cli(['groups', '--bootstrap-server', bs, '--reset-offsets', 'cli-audit', '--topic', 'cli-events', '--to', '1', '--execute']);
    expect(reset.code).toBe(0);
    expect(reset.err).toBe('');
    const moved = await cli(['groups', '--bootstrap-server', bs, '--describe', 'cli-audit', '--format', 'json']);
    expect((JSON.parse(moved.out) as { offsets: { committed: number; lag: number }[] }).offsets.map((o) => [o.committed, o.lag])).toEqual([
      [1, 4],
      [1, 1],
    ]);
    // The group reads from where it was moved to.
    const again = await cli(['consume', 'cli-events', '--bootstrap-server', bs, '--group', 'cli-audit', '--max', '5', '--format', '%p:%o\\n']);
    expect(again.out.trimEnd().split('\n').sort()).toEqual(['0:1', '0:2', '0:3', '0:4', '1:1']);

    // A live member: its id and partitions show; the group cannot be moved or deleted under it.
    const remote = connect({ bootstrapServers: bs, clientId: 'live-member' });
    try {
      const member = remote.consumerGroup({ groupId: 'cli-audit', topics: ['cli-events'] });
      await member.whenJoined();
      const live = await cli(['groups', '--bootstrap-server', bs, '--describe', 'cli-audit']);
      expect(live.code).toBe(0);
      expect(live.out).toMatch(/^Group cli-audit: state Stable, 1 member, assignor \S+, coordinator 1/);
      const memberRows = live.out.split('\n').filter((l) => l.includes('live-member'));
      // Two offset rows (one per partition) and the member's own row with both partitions.
      expect(memberRows).toHaveLength(3);
      expect(memberRows[2]).toMatch(/live-member\s+-\s+cli-events-0,cli-events-1$/);
      const busyReset = await cli(['groups', '--bootstrap-server', bs, '--reset-offsets', 'cli-audit', '--topic', 'cli-events', '--to', 'latest', '--execute']);
      expect(busyReset.code).toBe(1);
      const busyDelete = await cli(['groups', '--bootstrap-server', bs, '--delete', 'cli-audit']);
      expect(busyDelete.code).toBe(1);
      expect(busyDelete.err).toContain('NON_EMPTY_GROUP');
      const busyDeleteOffsets = await cli(['groups', '--bootstrap-server', bs, '--delete-offsets', 'cli-audit', '--topic', 'cli-events']);
      expect(busyDeleteOffsets.code).toBe(1);
      expect(busyDeleteOffsets.err).toMatch(/^tributary groups: GROUP_SUBSCRIBED_TO_TOPIC: .*stop its consumers/);
    } finally {
      await remote.close();
    }

    // Kafka's --delete-offsets --topic T:P: one partition's committed offset goes, the other stays.
    const deletedOffsets = await cli(['groups', '--bootstrap-server', bs, '--delete-offsets', 'cli-audit', '--topic', 'cli-events:1']);
    expect(deletedOffsets.code).toBe(0);
    expect(deletedOffsets.out.trimEnd().split('\n').map((l) => l.split(/\s+/))).toEqual([
      ['TOPIC', 'PARTITION', 'STATUS'],
      ['cli-events', '1', 'Successful'],
    ]);
    const left = await cli(['groups', '--bootstrap-server', bs, '--describe', 'cli-audit', '--format', 'json']);
    expect((JSON.parse(left.out) as { offsets: { partition: number }[] }).offsets.map((o) => o.partition)).toEqual([0]);
    const badPartition = await cli(['groups', '--bootstrap-server', bs, '--delete-offsets', 'cli-audit', '--topic', 'cli-events:x']);
    expect(badPartition.code).toBe(2);
    expect((await cli(['groups', '--bootstrap-server', bs, '--delete-offsets', 'cli-audit'])).code).toBe(2);

    expect(await cli(['groups', '--bootstrap-server', bs, '--delete', 'cli-audit'])).toEqual({ code: 0, out: 'Deleted group cli-audit.\n', err: '' });
    const gone = await cli(['groups', '--bootstrap-server', bs, '--describe', 'cli-audit']);
    expect(gone.code).toBe(1);
    expect(gone.err).toContain('GROUP_ID_NOT_FOUND');

    const noTopic = await cli(['groups', '--bootstrap-server', bs, '--reset-offsets', 'x', '--to', 'earliest']);
    expect(noTopic.code).toBe(2);
    expect(noTopic.err).toContain('--reset-offsets needs --topic');
    const stray = await cli(['groups', '--bootstrap-server', bs, '--list', '--topic', 't']);
    expect(stray.code).toBe(2);
  }, 120_000);
});

describe('SASL', () => {
  it('logs in with --user and fails clearly with a wrong password', async () => {
    await using secured = await Cluster.start({ listen: { port: 0 }, sasl: { users: { alice: 'secret' } } });
    for (const mechanism of ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']) {
      const ok = await cli(['topics', '--bootstrap-server', secured.bootstrapServers, '--create', `sasl-${mechanism.toLowerCase()}`, '--user', 'alice:secret', '--sasl-mechanism', mechanism]);
      expect(ok.err).toBe('');
      expect(ok.code).toBe(0);
    }
    const listed = await cli(['topics', '--bootstrap-server', secured.bootstrapServers, '--list', '--user', 'alice:secret', '--exclude-internal']);
    expect(listed.out).toBe('sasl-plain\nsasl-scram-sha-256\nsasl-scram-sha-512\n');
    const wrong = await cli(['topics', '--bootstrap-server', secured.bootstrapServers, '--list', '--user', 'alice:guess', '--request-timeout-ms', '5000']);
    expect(wrong.code).toBe(1);
    expect(wrong.out).toBe('');
    expect(wrong.err).toMatch(/^tributary topics: [A-Z_]+: /);
    const badMechanism = await cli(['topics', '--bootstrap-server', secured.bootstrapServers, '--list', '--user', 'alice:secret', '--sasl-mechanism', 'GSSAPI']);
    expect(badMechanism.code).toBe(2);
  }, 60_000);
});

describe('the tributary process', () => {
  const main = join(fileURLToPath(new URL('.', import.meta.url)), 'main.ts');
  function run(args: readonly string[], stdin?: string): { child: ChildProcess; done: Promise<{ code: number | null; out: string; err: string }> } {
    const child = spawn(process.execPath, ['--import', 'tsx', main, ...args], { stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => (out += String(d)));
    child.stderr!.on('data', (d) => (err += String(d)));
    if (stdin !== undefined) child.stdin!.end(stdin);
    const done = new Promise<{ code: number | null; out: string; err: string }>((resolve) => child.on('exit', (code) => resolve({ code, out, err })));
    return { child, done };
  }

  it('creates a topic, pipes records in and out, and stops on SIGTERM with exit code 0', async () => {
    const created = await run(['topics', '--bootstrap-server', bs, '--create', 'cli-child', '--partitions', '1']).done;
    expect(created).toEqual({ code: 0, out: 'Created topic cli-child.\n', err: '' });
    const produced = await run(['produce', 'cli-child', '--bootstrap-server', bs, '--key-separator', '=', '--compression', 'lz4'], 'a=1\nb=2\nc=3\n').done;
    expect(produced).toEqual({ code: 0, out: '', err: '' });
    const consumed = await run(['consume', 'cli-child', '--bootstrap-server', bs, '--from', 'earliest', '--max', '3', '--format', 'json']).done;
    expect(consumed.err).toBe('');
    expect(consumed.code).toBe(0);
    expect(consumed.out.trimEnd().split('\n').map((l) => JSON.parse(l) as { offset: number; key: string; value: string }).map((r) => [r.offset, r.key, r.value])).toEqual([
      [0, 'a', '1'],
      [1, 'b', '2'],
      [2, 'c', '3'],
    ]);

    // A consumer waiting at the end stops on SIGTERM, cleanly, after printing what came.
    const waiting = run(['consume', 'cli-child', '--bootstrap-server', bs, '--group', 'cli-child-group', '--from', 'earliest']);
    let out = '';
    waiting.child.stdout!.on('data', (d) => (out += String(d)));
    const deadline = Date.now() + 60_000;
    while (out.split('\n').length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    waiting.child.kill('SIGTERM');
    const stopped = await waiting.done;
    expect(stopped.code).toBe(0);
    expect(stopped.out).toBe('1\n2\n3\n');
    // What it printed is committed.
    const d = await cluster.admin().describeGroup('cli-child-group');
    expect(d.offsets.map((o) => [o.partition, o.committed, o.lag])).toEqual([[0, 3, 0]]);

    const unreachable = await run(['topics', '--bootstrap-server', '127.0.0.1:1', '--list', '--request-timeout-ms', '2000']).done;
    expect(unreachable.code).toBe(1);
    expect(unreachable.err).toMatch(/^tributary topics: [A-Z_]+: /);
  }, 180_000);
});
