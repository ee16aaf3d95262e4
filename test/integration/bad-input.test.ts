/**
 * Bad input through the public API (issue 8.6, and 9.11's misspelt options): the repros
 * the fuzzer's first run found, each through the package's entry points. Every one
 * ends in a typed error at the call, and leaves the cluster (and the client) usable.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Cluster, MemoryLog, MetadataQuorum, PartitionLog, TributaryError, isTributaryError, serdes } from '../../src/index.js';
import { useCluster, waitFor } from '../../src/testing.js';
import { useSimulatedClock } from '../helpers/sim-clock.js';
import { useTempDirs } from '../helpers/temp-dirs.js';

const typed = (code: string, more: Record<string, unknown> = {}) => expect.objectContaining({ name: 'TributaryError', code, ...more });

const { clock } = useSimulatedClock();
const tempDir = useTempDirs('tributary-bad-input-');

describe('bad input through the public API', () => {
  it('a partitioner that throws fails its send, and the cluster still closes', async () => {
    const cluster = await Cluster.start();
    await cluster.admin().createTopics([{ name: 'orders', partitions: 2 }]);
    const producer = cluster.producer({
      partitioner: () => {
        throw new Error('partitioner bug');
      },
    });
    const err = await producer.send('orders', [{ key: 'k', value: 'a' }]).catch((e: unknown) => e);
    expect(err).toEqual(typed('INVALID_ARGUMENT', { option: 'partitioner' }));
    expect((err as Error).cause).toEqual(new Error('partitioner bug'));
    // A second send on the same producer settles too (it used to never settle).
    await expect(producer.send('orders', { value: 'b' })).rejects.toEqual(typed('INVALID_ARGUMENT'));
    // An explicit partition does not ask the partitioner.
    await expect(producer.send('orders', { value: 'c', partition: 1 })).resolves.toMatchObject({ partition: 1 });
    await cluster.close();
  });

  it('a non-string topic at Admin.listOffsets is refused at the call and does not poison later calls', async () => {
    await using cluster = await Cluster.start();
    const admin = cluster.admin({ requestTimeoutMs: 5000 });
    await admin.createTopics([{ name: 'orders' }]);
    await expect(admin.listOffsets(42 as unknown as string, 'latest')).rejects.toEqual(typed('INVALID_TOPIC_EXCEPTION'));
    await expect(admin.listOffsets({} as unknown as string, 'earliest')).rejects.toEqual(typed('INVALID_TOPIC_EXCEPTION'));
    await expect(admin.listOffsets('orders', 'latest')).resolves.toEqual([{ partition: 0, offset: 0, timestamp: -1 }]);
    await expect(admin.describeTopics([null as unknown as string])).rejects.toEqual(typed('INVALID_TOPIC_EXCEPTION'));
    await expect(admin.deleteRecords('orders', { x: 1 } as unknown as Record<number, number>)).rejects.toEqual(typed('INVALID_ARGUMENT'));
    expect((await admin.describeTopics(['orders']))[0]!.name).toBe('orders');
  });

  it('a MemoryLog or PartitionLog without options is refused with a typed error, not a TypeError', async () => {
    expect(() => new MemoryLog(undefined as never)).toThrow(expect.objectContaining({ name: 'TributaryError', code: 'INVALID_ARGUMENT', option: 'options' }));
    expect(() => new MemoryLog(null as never)).toThrow(TributaryError);
    await expect(PartitionLog.open(undefined as never)).rejects.toEqual(typed('INVALID_ARGUMENT', { option: 'options' }));
    expect(new MemoryLog({ topic: 'ok', partition: 0 }).logEndOffset).toBe(0);
  });

  it('a data folder that cannot be one (a file in the way) is KAFKA_STORAGE_ERROR naming the path, inline and in a worker', async () => {
    const file = join(tempDir(), 'not-a-folder');
    writeFileSync(file, 'x');
    for (const dataDir of [file, join(file, 'below')]) {
      for (const threads of ['inline', 'worker'] as const) {
        const err = await Cluster.start({ dataDir, threads }).catch((e: unknown) => e);
        // (An error that crosses from a worker keeps its code and message, not its context fields.)
        expect(err).toEqual(typed('KAFKA_STORAGE_ERROR', threads === 'inline' ? { option: 'dataDir' } : {}));
        expect((err as Error).message).toContain(`cannot use ${JSON.stringify(dataDir)} as a data folder: a file is in the way`);
      }
    }
  });

  it("a consumer given KafkaJS's groupId is pointed to consumerGroup", async () => {
    await using cluster = await Cluster.start();
    for (const key of ['groupId', 'group.id']) {
      expect(() => cluster.consumer({ [key]: 'billing' } as never)).toThrow(
        expect.objectContaining({ code: 'INVALID_CONFIG', option: key, message: `${key} is not a consumer option: a member of a consumer group is cluster.consumerGroup({ groupId, topics }); a consumer reads the partitions it is assigned` }),
      );
    }
  });

  it('a node id given as a string is named as one', async () => {
    await using cluster = await Cluster.start();
    expect(() => cluster.killNode('1' as never)).toThrow('no node "1" (a string; node ids are numbers) in this cluster (nodes are 1)');
    expect(() => cluster.killNode(2)).toThrow('no node 2 in this cluster (nodes are 1)');
    // A bigint made JSON.stringify throw a bare TypeError; nothing given may escape as anything but INVALID_ARGUMENT.
    const hostile = [1n, Symbol('1'), null, undefined, { toJSON: () => { throw new Error('boom'); } }, [1]];
    for (const id of hostile) expect(() => cluster.killNode(id as never)).toThrow(expect.objectContaining({ name: 'TributaryError', code: 'INVALID_ARGUMENT', option: 'id' }));
    expect(() => cluster.killNode(1n as never)).toThrow('no node 1n (a bigint; node ids are numbers)');
  });

  it('an idempotent producer with acks 1 is refused with a message that names the acks and the way out', async () => {
    await using cluster = await Cluster.start();
    const err = (() => {
      try {
        cluster.producer({ acks: 1, idempotent: true });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toEqual(typed('INVALID_CONFIG', { option: 'idempotent' }));
    expect((err as Error).message).toContain('for acks 1 pass idempotent: false, got {"acks":1,"idempotent":true}');
    expect(cluster.producer({ acks: 1, idempotent: false })).toBeDefined();
  });

  it('refuses bad broker settings and election timeouts at Cluster.start, at once', async () => {
    await expect(Cluster.start({ broker: { port: 'x' as unknown as number } })).rejects.toEqual(typed('INVALID_CONFIG', { option: 'broker.port' }));
    await expect(Cluster.start({ broker: { port: 70_000 } })).rejects.toEqual(typed('INVALID_CONFIG', { option: 'broker.port' }));
    await expect(Cluster.start({ broker: { heartbeatIntervalMs: 0 } })).rejects.toEqual(typed('INVALID_CONFIG', { option: 'broker.heartbeatIntervalMs' }));
    await expect(Cluster.start({ electionTimeoutMs: 1e12 })).rejects.toEqual(typed('INVALID_CONFIG', { option: 'electionTimeoutMs' }));
    await expect(Cluster.start({ brokerSessionTimeoutMs: Number.NaN })).rejects.toEqual(typed('INVALID_CONFIG', { option: 'brokerSessionTimeoutMs' }));
    await expect(MetadataQuorum.start({ voters: 1, electionTimeoutMs: 1e12 })).rejects.toEqual(typed('INVALID_CONFIG', { option: 'electionTimeoutMs' }));
  });

  it('refuses a misspelt option everywhere, naming the nearest known one', async () => {
    const cases: [() => unknown, string, string][] = [
      [() => Cluster.start({ node: 3 } as never), 'node', 'nodes'],
      [() => Cluster.start({ broker: { heartbeatInterval: 100 } } as never), 'broker.heartbeatInterval', 'broker.heartbeatIntervalMs'],
      [() => MetadataQuorum.start({ voter: 3 } as never), 'voter', 'voters'],
    ];
    for (const [call, option, near] of cases) {
      const err = await Promise.resolve().then(call).catch((e: unknown) => e);
      expect(err).toEqual(typed('INVALID_CONFIG', { option }));
      expect((err as Error).message).toContain(`did you mean ${near}?`);
    }
    await using cluster = await Cluster.start();
    const sync: [() => unknown, string, string][] = [
      [() => cluster.producer({ linger: 5 } as never), 'linger', 'lingerMs'],
      [() => cluster.producer({ lingerMS: 5 } as never), 'lingerMS', 'lingerMs'],
      [() => cluster.consumer({ fromBeginning: true } as never), 'fromBeginning', 'autoOffsetReset'],
      [() => cluster.consumerGroup({ groupId: 'g', topics: ['t'], fromBeginning: true } as never), 'fromBeginning', 'autoOffsetReset'],
      [() => cluster.consumerGroup({ groupId: 'g', topics: ['t'], sessionTimeout: 100 } as never), 'sessionTimeout', 'sessionTimeoutMs'],
      [() => cluster.admin({ requestTimeout: 5 } as never), 'requestTimeout', 'requestTimeoutMs'],
      [() => cluster.topic('t', { key: serdes.string(), value: serdes.string() }).consume({ form: 'earliest' } as never), 'form', 'from'],
      [() => useCluster({ nodess: 1 } as never, { before: () => {}, after: () => {} }), 'nodess', 'nodes'],
    ];
    for (const [call, option, near] of sync) {
      let err: unknown;
      try {
        call();
      } catch (e) {
        err = e;
      }
      expect(err, option).toEqual(typed('INVALID_CONFIG', { option }));
      expect((err as Error).message).toContain(`did you mean ${near}?`);
    }
    await expect(cluster.admin().createTopics([{ name: 't', partition: 3 } as never])).rejects.toEqual(typed('INVALID_CONFIG', { option: 'partition' }));
    await expect(cluster.admin().createTopics([{ name: 't' }], { ifNotExist: true } as never)).rejects.toThrow('did you mean ifNotExists?');
  });

  it("answers KafkaJS's send({ topic, messages }) with the Tributary form", async () => {
    await using cluster = await Cluster.start();
    const producer = cluster.producer();
    const err = await producer.send({ topic: 'orders', messages: [{ value: 'a' }] } as never, undefined as never).catch((e: unknown) => e);
    expect(err).toEqual(typed('INVALID_ARGUMENT'));
    expect((err as Error).message).toContain(`producer.send("orders", [{ key, value }])`);
  });

  it('bounds every admin call by requestTimeoutMs when the quorum is lost', async () => {
    // On simulated time (as the next test): the request timeout runs out in the clock's time.
    await using cluster = await Cluster.start({ nodes: 3, clock });
    // Two of the three controllers gone: no quorum, no controller.
    const active = cluster.describe().find((n) => n.activeController)!.id;
    const others = cluster.describe().filter((n) => n.controller && n.id !== active).map((n) => n.id);
    cluster.killNode(others[0]!);
    cluster.killNode(active);
    const admin = cluster.admin({ requestTimeoutMs: 1500 });
    // Without the bound the request waited for the broker's own 30 s controller timeout (the
    // test's 60 s budget catches a hang; no wall-clock assertion).
    const err = await admin.createTopics([{ name: 'late', replicationFactor: 1 }]).catch((e: unknown) => e);
    expect(isTributaryError(err)).toBe(true);
    expect((err as TributaryError).retriable).toBe(true);
  });

  it('createTopics with a replication factor the cluster can hold succeeds right after the active controller stops', async () => {
    await using cluster = await Cluster.start({ nodes: 3, clock });
    const admin = cluster.admin({ requestTimeoutMs: 20_000 });
    for (let round = 0; round < 2; round++) {
      const active = cluster.describe().find((n) => n.activeController)!.id;
      await cluster.stopNode(active);
      await admin.createTopics([{ name: `after-stop-${round}`, partitions: 6, replicationFactor: 2 }]);
      // Any broker answers describeTopics; one just restarted may not have the topic yet (Kafka's metadata is eventually consistent too).
      const [t] = await waitFor(() => admin.describeTopics([`after-stop-${round}`]).catch(() => undefined), { clock, timeoutMs: 20_000 });
      // The stopped node was fenced by its controlled shutdown: no replica is placed on it.
      for (const p of t!.partitions) {
        expect(p.replicas).toHaveLength(2);
        expect(p.replicas).not.toContain(active);
      }
      await cluster.restartNode(active);
    }
  });
});
