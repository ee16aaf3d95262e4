/**
 * The fuzz targets: every public entry point of `tributary-log` and
 * `tributary-log/testing`, each turning a seeded random source into one call. The list at
 * the bottom (`apiTargets`) is what `npm run fuzz` runs; other lists (a wire-frame fuzzer)
 * plug in beside it in `run.ts`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Admin,
  Cluster,
  MemoryLog,
  MetadataQuorum,
  PartitionLog,
  decodeBatch,
  decodeBatches,
  encodeBatch,
  iterateBatches,
  partitionForKey,
  readBatchHeader,
  serdes,
  type Producer,
} from '../../src/index.js';
import { killPartitionLeader, useCluster, waitFor } from '../../src/testing.js';
import type { Rng } from '../../src/util/rng.js';
import { describe, hostile, invalidFrom, optionsFrom, type Expectation, type FuzzCase, type FuzzTarget, type OptionSpec } from './harness.js';

// ------------------------------------------------------------------ a shared cluster

/** The topic every target may read and write: 2 partitions. */
export const fuzzTopic = 'fuzz';

let shared: { cluster: Promise<Cluster>; users: number } | undefined;

/** One small cluster for the targets that need one, started on first use, closed by the last user. */
async function acquireCluster(): Promise<Cluster> {
  if (shared === undefined) {
    shared = {
      users: 0,
      cluster: (async () => {
        const c = await Cluster.start({ nodes: 1 });
        await c.admin().createTopics([{ name: fuzzTopic, partitions: 2 }]);
        return c;
      })(),
    };
  }
  shared.users++;
  return shared.cluster;
}

async function releaseCluster(): Promise<void> {
  if (shared === undefined) return;
  if (--shared.users > 0) return;
  const c = await shared.cluster;
  shared = undefined;
  await c.close();
}

const clusterState = { setup: acquireCluster, teardown: () => releaseCluster() };

/** Builds a case from the parts most targets share. */
function call(input: string, expect: Expectation, fn: () => unknown, boundMs?: number): FuzzCase {
  return { input, expect, call: fn, ...(boundMs !== undefined ? { boundMs } : {}) };
}

/** Either a valid value (expect any) or a hostile one (expect invalid). */
function arg(rng: Rng, valid: readonly unknown[], pBad = 0.5, invalid?: readonly unknown[]): { value: unknown; bad: boolean } {
  if (!rng.chance(pBad)) return { value: rng.pick(valid), bad: false };
  return { value: invalid !== undefined ? rng.pick(invalid) : invalidFrom(rng, valid), bad: true };
}

let unique = 0;
const fresh = (prefix: string) => `${prefix}-${process.pid}-${++unique}`;

// ------------------------------------------------------------------ Cluster.start

const clusterSpecs: Record<string, OptionSpec> = {
  nodes: { valid: [1], invalid: [0, -1, 1.5, 101, 'x', null, NaN, Infinity, '1'] },
  controllers: { valid: [1], invalid: [0, 2, 3, 4, 'x', null] },
  dataDir: { valid: [undefined], invalid: ['', 5, null, {}, []] },
  defaultReplicationFactor: { valid: [1], invalid: [0, 2, 'x', 1.5, null] },
  defaultPartitions: { valid: [1, 3], invalid: [0, -1, 'x', 1e12, NaN] },
  brokerSessionTimeoutMs: { valid: [2000, 3000], invalid: [50, 1e12, 'x', NaN, -1, null] },
  electionTimeoutMs: { valid: [300, 200], invalid: [1e12, 10, NaN, 'x', -1, Infinity, null] },
  autoCreateTopics: { valid: [true, false], invalid: [1, 'yes', null, 0] },
  broker: {
    valid: [{}, { heartbeatIntervalMs: 100 }, { port: 9092 }, { host: '127.0.0.1' }, { autoCreateTopicsEnable: false }],
    invalid: [{ port: 'x' }, { port: -1 }, { port: 70_000 }, { heartbeatIntervalMs: 0 }, { heartbeatInterval: 100 }, 'x', { replicaLagTimeMaxMs: 'x' }, { heartbeatIntervalMs: 1e12 }, { host: 5 }, { host: '' }, null, [], { replicaFetchWaitMaxMs: -1 }],
  },
  clock: { valid: [undefined], invalid: [{}, 'x', 5, null] },
  // Listeners open sockets: only refusals here (the wire fuzzer covers the listener itself).
  listen: { valid: [undefined], invalid: [5, 'x', { port: 'x' }, { nope: 1 }, { port: -1 }, []] },
  sasl: { valid: [undefined], invalid: [5, { mechanism: 'x' }] },
};

const clusterStart: FuzzTarget = {
  name: 'Cluster.start',
  next(rng) {
    if (rng.chance(0.1)) {
      const v = rng.pick(hostile);
      return call(`Cluster.start(${describe(v)})`, v === undefined || isEmptyPlainObject(v) ? 'any' : 'invalid', async () => (await Cluster.start(v as never)).close(), 30_000);
    }
    const o = optionsFrom(rng, clusterSpecs, 0.7);
    return call(`Cluster.start(${describe(o.options)}) ${o.bad}`, o.expect, async () => {
      const c = await Cluster.start(o.options as never);
      await c.close();
    }, 30_000);
  },
};

// ------------------------------------------------------------------ Cluster methods

const clusterMethods: FuzzTarget<Cluster> = {
  name: 'Cluster methods',
  ...clusterState,
  next(rng, cluster) {
    // Never node 1: the shared cluster's only node.
    const id = invalidFrom(rng, [1]);
    const which = rng.int(7);
    switch (which) {
      case 0:
        return call(`stopNode(${describe(id)})`, 'invalid', () => cluster.stopNode(id as number));
      case 1:
        return call(`killNode(${describe(id)})`, 'invalid', () => cluster.killNode(id as number));
      case 2:
        return call(`restartNode(${describe(id)})`, 'invalid', () => cluster.restartNode(id as number));
      case 3: {
        // Internal names (__consumer_offsets) are refused when written to, not when named.
        const name = arg(rng, [fuzzTopic], 0.5, badTopicNames);
        const s = arg(rng, [{ key: serdes.string(), value: serdes.string() }, {}], 0.5, [null, 5, 'x', { key: 5 }, { value: {} }]);
        return call(`topic(${describe(name.value)}, ${describe(s.value)})`, name.bad || s.bad ? 'invalid' : 'any', () => cluster.topic(name.value as string, s.value as never));
      }
      case 4: {
        const v = rng.pick(hostile);
        return call(`producer(${describe(v)})`, v === undefined || (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0 && !(v instanceof Uint8Array) && !(v instanceof Map) && !(v instanceof Date) && !(v instanceof RegExp)) ? 'any' : 'invalid', async () => {
          const p = cluster.producer(v as never);
          await p.close();
        });
      }
      case 5: {
        const v = rng.pick(hostile);
        return call(`admin(${describe(v)})`, v === undefined || isEmptyPlainObject(v) ? 'any' : 'invalid', () => cluster.admin(v as never).close());
      }
      default: {
        const v = rng.pick(hostile);
        return call(`consumer(${describe(v)})`, v === undefined || isEmptyPlainObject(v) ? 'any' : 'invalid', () => cluster.consumer(v as never).close());
      }
    }
  },
};

function isEmptyPlainObject(v: unknown): boolean {
  return typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype && Object.keys(v).length === 0;
}

// ------------------------------------------------------------------ Admin

const topicNames = [fuzzTopic];
const badTopicNames = [5, null, undefined, '', 'a/b', '..', 'x'.repeat(300), {}, [], 'é', Symbol('t'), 10n];

const admin: FuzzTarget<Cluster> = {
  name: 'Admin',
  ...clusterState,
  next(rng, cluster) {
    const a = cluster.admin({ requestTimeoutMs: 2000 });
    const topic = arg(rng, topicNames, 0.5, badTopicNames);
    const which = rng.int(13);
    let input: string;
    let bad = topic.bad;
    let fn: () => Promise<unknown>;
    switch (which) {
      case 0: {
        const t = arg(rng, [{ name: fresh('fz') }, { name: fresh('fz'), partitions: 2 }, { name: fresh('fz'), configs: { 'retention.ms': '1000' } }], 0.5, [
          null, 5, { name: 5 }, { name: 'a/b' }, { name: 'ok', partitions: 0 }, { name: 'ok', partitions: 'x' }, { name: 'ok', replicationFactor: 5 }, { name: 'ok', partitions: 0 }, { name: 'ok', replicationFactor: 1.5 },
          { name: 'ok', configs: { 'retention.ms': 5 } }, { name: 'ok', configs: { 'no.such.config': '1' } }, { name: 'ok', partition: 2 }, { name: 'ok', partitions: 1e12 },
          { name: '__cluster_metadata' },
        ]);
        const o = arg(rng, [{}, { ifNotExists: true }, { validateOnly: true }], 0.3, [{ ifNotExist: true }, { validateOnly: 'yes' }, null, 5]);
        bad = t.bad || o.bad;
        input = `createTopics([${describe(t.value)}], ${describe(o.value)})`;
        fn = () => a.createTopics([t.value as never], o.value as never);
        break;
      }
      case 1: {
        const names = arg(rng, [[fresh('fz-missing')]], 0.5, [null, 'x', [5], ['a/b'], [{}]]);
        bad = names.bad;
        input = `deleteTopics(${describe(names.value)})`;
        fn = () => a.deleteTopics(names.value as never);
        break;
      }
      case 2:
        input = 'listTopics()';
        bad = false;
        fn = () => a.listTopics();
        break;
      case 3:
        input = `describeTopics([${describe(topic.value)}])`;
        fn = () => a.describeTopics([topic.value as string]);
        break;
      case 4: {
        const n = arg(rng, [2, 3], 0.5, [0, -1, 'x', 1.5, NaN, 1e12, null]);
        bad ||= n.bad;
        input = `createPartitions(${describe(topic.value)}, ${describe(n.value)})`;
        // Growing the shared topic is fine (it only ever grows); the count may be below the current one.
        fn = () => a.createPartitions(topic.value as string, n.value as number);
        break;
      }
      case 5:
        input = `describeConfigs(${describe(topic.value)})`;
        fn = () => a.describeConfigs(topic.value as string);
        break;
      case 6: {
        const ch = arg(rng, [{ 'retention.ms': '604800000' }, { 'retention.ms': null }], 0.5, [{ 'retention.ms': 5 }, null, 'x', { 'retention.ms': 'x' }, { nope: '1' }, [1]]);
        bad ||= ch.bad;
        input = `alterConfigs(${describe(topic.value)}, ${describe(ch.value)})`;
        fn = () => a.alterConfigs(topic.value as string, ch.value as never);
        break;
      }
      case 7: {
        const spec = arg(rng, ['earliest', 'latest', { timestamp: 0 }], 0.5, ['first', 5, null, { timestamp: -1 }, { timestamp: 'x' }, {}, { timestamp: NaN }]);
        bad ||= spec.bad;
        input = `listOffsets(${describe(topic.value)}, ${describe(spec.value)})`;
        fn = () => a.listOffsets(topic.value as string, spec.value as never);
        break;
      }
      case 8: {
        const o = arg(rng, [{ 0: 0 }, { 1: -1 }], 0.5, [{ 0: -5 }, { x: 1 }, { 0: 'x' }, null, 5, { '-1': 0 }, { 0: NaN }, { 0: 1e300 }, { 99: 0 }]);
        // Partition 99 does not exist: refused by the cluster, a typed error.
        bad ||= o.bad;
        input = `deleteRecords(${describe(topic.value)}, ${describe(o.value)})`;
        fn = () => a.deleteRecords(topic.value as string, o.value as never);
        break;
      }
      case 9:
        input = 'describeCluster()';
        bad = false;
        fn = () => a.describeCluster();
        break;
      case 10: {
        const g = arg(rng, ['fuzz-group'], 0.5, ['', 5, null, {}, 'x'.repeat(300)]);
        bad = g.bad;
        input = `describeGroup(${describe(g.value)})`;
        fn = () => a.describeGroup(g.value as string);
        break;
      }
      case 11: {
        const g = arg(rng, ['fuzz-group'], 0.5, ['', 5, null, {}]);
        const to = arg(rng, ['earliest', 'latest', 0, { timestamp: 0 }], 0.5, [-1, 'x', null, NaN, { timestamp: -2 }, 1.5]);
        bad ||= g.bad || to.bad;
        input = `resetGroupOffsets(${describe(g.value)}, ${describe(topic.value)}, ${describe(to.value)})`;
        fn = () => a.resetGroupOffsets(g.value as string, topic.value as string, to.value as never);
        break;
      }
      default: {
        const g = arg(rng, [fresh('fuzz-group')], 0.5, ['', 5, null, {}]);
        bad = g.bad;
        input = `deleteGroup(${describe(g.value)})`;
        fn = () => a.deleteGroup(g.value as string);
        break;
      }
    }
    return call(input, bad ? 'invalid' : 'any', async () => {
      try {
        return await fn();
      } finally {
        // The call, whatever it did, must leave the client usable: one bad input must not
        // poison its metadata for the calls after it.
        const ends = await a.listOffsets(fuzzTopic, 'latest').catch((err: unknown) => err);
        if (!Array.isArray(ends)) throw new Error(`admin poisoned after ${input}: listOffsets(${fuzzTopic}) failed with ${String(ends)}`);
        a.close();
      }
    });
  },
};

// ------------------------------------------------------------------ Producer

const throwingPartitioner = () => {
  throw new Error('partitioner bug');
};
const producerSpecs: Record<string, OptionSpec> = {
  clientId: { valid: ['fuzz'], invalid: ['', 5, 'x'.repeat(300)] },
  acks: { valid: [0, 1, -1, 'all'], invalid: [2, 'one', null, -2] },
  idempotent: { valid: [false], invalid: ['yes', 1, null] },
  batchSize: { valid: [0, 100, 16_384], invalid: [-1, 'x', 1.5, 1e12] },
  lingerMs: { valid: [0, 5], invalid: [-1, 'x', 1e12, NaN, Infinity] },
  compression: { valid: ['none', 'gzip'], invalid: ['zip', 1, null] },
  bufferMemory: { valid: [32 * 1024 * 1024], invalid: [0, -1, 'x'] },
  maxBlockMs: { valid: [500, 2000], invalid: [-1, 'x', 1e12] },
  maxRequestSize: { valid: [1024 * 1024], invalid: [0, 'x', 1e12] },
  requestTimeoutMs: { valid: [2000], invalid: [0, -1, 'x', 1e12] },
  retryBackoffMs: { valid: [10, 100], invalid: [-1, 'x'] },
  maxInFlight: { valid: [1, 5], invalid: [0, 1001, 'x', 1.5] },
  metadataMaxAgeMs: { valid: [1000], invalid: [-1, 'x'] },
  partitioner: {
    valid: [() => 0, ({ partitionCount }: { partitionCount: number }) => partitionCount - 1, throwingPartitioner, () => -1, () => 'x', () => NaN, () => 99],
    invalid: [5, 'x', {}, null],
  },
  randomSeed: { valid: [1, 42], invalid: ['x', 1.5] },
};

const goodRecords = [{ value: 'a' }, { key: 'k', value: 'v' }, [{ value: 'a' }, { value: 'b', partition: 1 }], { value: null }, { value: new Uint8Array(3), headers: { h: 'v' } }, []];
const badRecords = [
  {}, { value: 5 }, { value: 'a', partition: 7 }, { value: 'a', partition: -1 }, { value: 'a', timestamp: -5 }, { value: 'a', headers: 5 }, { value: 'a', headers: { h: 5 } },
  null, 5, 'x', [null], { value: 'a', key: 5 }, { value: {} }, [{ value: 'a' }, 7], { value: 'a', partition: 'x' }, { value: 'a', timestamp: 'now' }, undefined, { value: 10n },
];

const producer: FuzzTarget<Cluster> = {
  name: 'Producer',
  ...clusterState,
  next(rng, cluster) {
    const o = optionsFrom(rng, producerSpecs, 0.3);
    const options = { maxBlockMs: 2000, requestTimeoutMs: 2000, deliveryTimeoutMs: 120_000, ...o.options };
    const topic = arg(rng, [fuzzTopic, fuzzTopic, fresh('fz-auto')], 0.3, [...badTopicNames, { topic: fuzzTopic, messages: [{ value: 'a' }] }]);
    const records = arg(rng, goodRecords, 0.4, badRecords);
    const bad = o.expect === 'invalid' || topic.bad || records.bad;
    return call(`producer(${describe(options)}).send(${describe(topic.value)}, ${describe(records.value)}) ${o.bad}`, bad ? 'invalid' : 'any', async () => {
      let p: Producer | undefined;
      try {
        p = cluster.producer(options as never);
        return await p.send(topic.value as string, records.value as never);
      } finally {
        await p?.close();
      }
    }, 30_000);
  },
};

// ------------------------------------------------------------------ Consumer

const consumerSpecs: Record<string, OptionSpec> = {
  clientId: { valid: ['fuzz'], invalid: ['', 5] },
  maxWaitMs: { valid: [0, 100], invalid: [-1, 'x', 1e12] },
  minBytes: { valid: [1], invalid: [-1, 'x'] },
  maxBytes: { valid: [1024 * 1024], invalid: [0, 'x', 1e12] },
  maxPartitionBytes: { valid: [1024 * 1024], invalid: [0, 'x'] },
  autoOffsetReset: { valid: ['earliest', 'latest', 'none'], invalid: ['begin', 1, null, 'smallest'] },
  checkCrcs: { valid: [true, false], invalid: [1, 'yes'] },
  requestTimeoutMs: { valid: [2000], invalid: [0, 'x', 1e12] },
  retryBackoffMs: { valid: [10], invalid: [-1, 'x'] },
  metadataMaxAgeMs: { valid: [1000], invalid: [-1, 'x'] },
  allowAutoCreateTopics: { valid: [false], invalid: ['yes', 1] },
};
const goodTp = [{ topic: fuzzTopic, partition: 0 }, { topic: fuzzTopic, partition: 1 }];
const badTp = [null, 5, 'fuzz', {}, { topic: 5, partition: 0 }, { topic: 'a/b', partition: 0 }, { topic: fuzzTopic, partition: -1 }, { topic: fuzzTopic, partition: 'x' }, { topic: fuzzTopic, partition: 1.5 }, { partition: 0 }];

const consumer: FuzzTarget<Cluster> = {
  name: 'Consumer',
  ...clusterState,
  next(rng, cluster) {
    const o = optionsFrom(rng, consumerSpecs, 0.3);
    const options = { requestTimeoutMs: 2000, maxWaitMs: 50, ...o.options };
    const which = rng.int(5);
    const tp = arg(rng, goodTp, 0.5, badTp);
    let bad = o.expect === 'invalid' || tp.bad;
    let input: string;
    let fn: (c: ReturnType<Cluster['consumer']>) => unknown;
    switch (which) {
      case 0: {
        const list = arg(rng, [[tp.value]], 0.3, [null, 'x', 5, {}]);
        bad ||= list.bad;
        input = `assign(${describe(list.value)})`;
        fn = (c) => c.assign(list.value as never);
        break;
      }
      case 1: {
        const target = arg(rng, [0, 'earliest', 'latest', { timestamp: 0 }], 0.5, [-5, 'x', { timestamp: -1 }, NaN, null, 1.5, {}, 1e300]);
        bad ||= target.bad;
        input = `assign + seek(${describe(tp.value)}, ${describe(target.value)})`;
        fn = async (c) => {
          if (!tp.bad) c.assign([tp.value as never]);
          await c.seek(tp.value as never, target.value as never);
        };
        break;
      }
      case 2: {
        const topic = arg(rng, topicNames, 0.5, badTopicNames);
        bad = o.expect === 'invalid' || topic.bad;
        input = `partitionsFor(${describe(topic.value)})`;
        fn = (c) => c.partitionsFor(topic.value as string);
        break;
      }
      case 3:
        input = `position/pause/resume(${describe(tp.value)})`;
        fn = (c) => {
          c.position(tp.value as never);
          c.pause([tp.value as never]);
          c.resume([tp.value as never]);
        };
        break;
      default:
        input = `assign + read one (${describe(tp.value)})`;
        fn = async (c) => {
          c.assign([tp.value as never]);
          await c.seek(tp.value as never, 'earliest');
          const it = c[Symbol.asyncIterator]();
          // One record, or none within a moment: both are fine.
          await Promise.race([it.next(), new Promise((r) => setTimeout(r, 200))]);
        };
    }
    return call(`consumer(${describe(options)}).${input} ${o.bad}`, bad ? 'invalid' : 'any', async () => {
      const c = cluster.consumer(options as never);
      try {
        return await fn(c);
      } finally {
        await c.close();
      }
    });
  },
};

// ------------------------------------------------------------------ ConsumerGroup

const groupSpecs: Record<string, OptionSpec> = {
  groupId: { valid: ['fuzz-group'], invalid: ['', 5, null, 'x'.repeat(300)] },
  topics: { valid: [[fuzzTopic], /^fuzz$/], invalid: [[], 'fuzz', ['a/b'], [5], /x/g, null] },
  autoOffsetReset: { valid: ['earliest', 'latest'], invalid: ['none', 'begin', 5] },
  key: { valid: [serdes.string(), serdes.string], invalid: [5, {}, 'x'] },
  value: { valid: [serdes.json()], invalid: [5, { deserialize: 5 }] },
  assignor: { valid: ['range', 'roundrobin', 'cooperative-sticky'], invalid: ['sticky', 5] },
  sessionTimeoutMs: { valid: [10_000], invalid: [0, -1, 'x', 1e12] },
  heartbeatIntervalMs: { valid: [1000], invalid: [0, 'x', 1e12] },
  rebalanceTimeoutMs: { valid: [5000], invalid: [0, 'x'] },
  groupInstanceId: { valid: ['i-1'], invalid: ['', 5] },
  autoCommit: { valid: [true, false], invalid: [1, 'yes'] },
  autoCommitIntervalMs: { valid: [1000], invalid: [0, 'x'] },
  clientId: { valid: ['fuzz'], invalid: ['', 5] },
  maxWaitMs: { valid: [100], invalid: [-1, 'x'] },
  requestTimeoutMs: { valid: [2000], invalid: [0, 'x'] },
  metadataMaxAgeMs: { valid: [1000], invalid: [0, 'x'] },
};

const consumerGroup: FuzzTarget<Cluster> = {
  name: 'ConsumerGroup',
  ...clusterState,
  next(rng, cluster) {
    const o = optionsFrom(rng, groupSpecs, 0.5);
    // A fresh group each time: a static member (groupInstanceId) of an earlier input does
    // not leave on close, and a new member would wait out its session, as in Kafka.
    const options = { topics: [fuzzTopic], ...o.options, groupId: o.options.groupId === 'fuzz-group' || o.options.groupId === undefined ? fresh('fuzz-group') : o.options.groupId };
    const which = rng.int(3);
    return call(`consumerGroup(${describe(options)}) ${which} ${o.bad}`, o.expect, async () => {
      const g = cluster.consumerGroup(options as never);
      try {
        if (which === 1) await g.whenJoined();
        if (which === 2) {
          const tp = arg(rng, goodTp, 0.5, badTp);
          await g.seek(tp.value as never, 'earliest').catch((err: unknown) => {
            // Not assigned: a typed refusal is the expected answer.
            if (!(err instanceof Error) || err.name !== 'TributaryError') throw err;
          });
          await g.commit([{ topic: fuzzTopic, partition: 9, offset: -3 } as never]).catch((err: unknown) => {
            if (!(err instanceof Error) || err.name !== 'TributaryError') throw err;
          });
        }
      } finally {
        await g.close();
      }
    }, 40_000);
  },
};

// ------------------------------------------------------------------ Topic

const topicTarget: FuzzTarget<Cluster> = {
  name: 'Topic',
  ...clusterState,
  next(rng, cluster) {
    const t = cluster.topic(fuzzTopic, { key: serdes.string(), value: serdes.json<unknown>() });
    if (rng.chance(0.5)) {
      const r = arg(rng, [{ key: 'k', value: { a: 1 } }, [{ value: 1 }, { key: null, value: 'x' }]], 0.5, [{ key: 5, value: 1 }, { value: 10n }, null, 5, { key: 'k', value: 1, partition: 9 }, [{ value: undefined }]]);
      return call(`topic.send(${describe(r.value)})`, r.bad ? 'invalid' : 'any', () => t.send(r.value as never));
    }
    const o = arg(rng, [{}, { from: 'earliest' }, { from: 0, partitions: [0] }, { from: { timestamp: 0 } }], 0.5, [{ from: 'first' }, { partitions: [9] }, { partitions: 'x' }, { consumer: { nope: 1 } }, 5, { form: 'earliest' }, { from: -3 }]);
    return call(`topic.consume(${describe(o.value)})`, o.bad ? 'invalid' : 'any', async () => {
      const stream = t.consume(o.value as never);
      try {
        const it = stream[Symbol.asyncIterator]();
        await Promise.race([it.next(), new Promise((r) => setTimeout(r, 1000))]);
      } finally {
        await stream.close();
      }
    });
  },
};

// ------------------------------------------------------------------ serdes, partitioner, record format

const serdeTarget: FuzzTarget = {
  name: 'serdes',
  next(rng) {
    const name = rng.pick(['bytes', 'string', 'json'] as const);
    const serde = name === 'json' ? serdes.json<unknown>() : serdes[name]();
    if (rng.chance(0.5)) {
      const v = rng.pick([...hostile, { a: 1 }, 'text', new Uint8Array([0xff])]);
      return call(`serdes.${name}.serialize(${describe(v)})`, 'any', () => serde.serialize(v as never));
    }
    const b = rng.pick([new Uint8Array([0xff, 0xfe]), new TextEncoder().encode('{"a":1}'), new TextEncoder().encode('{'), new Uint8Array(0), ...hostile]);
    return call(`serdes.${name}.deserialize(${describe(b)})`, b instanceof Uint8Array ? 'any' : 'invalid', () => serde.deserialize(b as never));
  },
};

const partitionerTarget: FuzzTarget = {
  name: 'partitionForKey',
  next(rng) {
    const key = arg(rng, [new Uint8Array([1, 2]), new Uint8Array(0), Buffer.from('k')], 0.5, [null, undefined, 'k', 5, [1, 2], {}, new Date(0)]);
    const n = arg(rng, [1, 12], 0.5, [0, -1, 1.5, 'x', NaN, null, Infinity]);
    return call(`partitionForKey(${describe(key.value)}, ${describe(n.value)})`, key.bad || n.bad ? 'invalid' : 'any', () => partitionForKey(key.value as never, n.value as never));
  },
};

const recordFormat: FuzzTarget = {
  name: 'record format',
  next(rng) {
    const which = rng.int(5);
    const garbage = rng.pick([rng.bytes(rng.int(200)), new Uint8Array(61), new Uint8Array(0), ...hostile]);
    switch (which) {
      case 0: {
        const recs = arg(rng, [[{ value: Buffer.from('a') }], [{ key: null, value: null }]], 0.5, [null, 5, [5], [{ value: 5 }], [{ value: 'a', headers: 5 }], 'x', [{ value: Buffer.from('a'), timestamp: 'x' }]]);
        const o = arg(rng, [{}, { compression: 'gzip' }, { baseOffset: 5 }], 0.3, [{ compression: 'zip' }, { baseOffset: -1 }, 5, { producerId: 'x' }]);
        return call(`encodeBatch(${describe(recs.value)}, ${describe(o.value)})`, recs.bad || o.bad ? 'invalid' : 'any', () => encodeBatch(recs.value as never, o.value as never));
      }
      case 1:
        return call(`decodeBatch(${describe(garbage)})`, 'any', () => decodeBatch(garbage as never));
      case 2:
        return call(`decodeBatches(${describe(garbage)})`, 'any', () => decodeBatches(garbage as never));
      case 3:
        return call(`readBatchHeader(${describe(garbage)})`, 'any', () => readBatchHeader(garbage as never));
      default:
        return call(`iterateBatches(${describe(garbage)})`, 'any', () => [...iterateBatches(garbage as never)]);
    }
  },
};

// ------------------------------------------------------------------ PartitionLog and MemoryLog

interface LogState {
  readonly dir: string;
  log: PartitionLog | undefined;
  batch: Uint8Array;
}

const logConfigs: Record<string, OptionSpec> = {
  segmentBytes: { valid: [1024 * 1024], invalid: [0, -1, 'x', 1e15] },
  retentionMs: { valid: [-1, 60_000], invalid: [-2, 'x', NaN] },
  flushPolicy: { valid: ['os', 'always', { intervalMs: 100 }], invalid: ['never', 5, { intervalMs: -1 }, null] },
  cleanupPolicy: { valid: ['delete', 'compact'], invalid: ['both', 5] },
  maxMessageBytes: { valid: [0, 1024 * 1024], invalid: [-1, 'x', 1.5] },
};

const partitionLog: FuzzTarget<LogState> = {
  name: 'PartitionLog',
  async setup() {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-fuzz-'));
    return { dir, log: await PartitionLog.open({ dataDir: dir, topic: 't', partition: 0 }), batch: await encodeBatch([{ value: Buffer.from('a') }]) };
  },
  async teardown(s) {
    await s.log?.close();
    rmSync(s.dir, { recursive: true, force: true });
  },
  next(rng, s) {
    const log = s.log!;
    const which = rng.int(9);
    const offset = arg(rng, [0, 1, log.logEndOffset], 0.5, [-5, 'x', NaN, 1.5, null, 1e300, Infinity]);
    switch (which) {
      case 0: {
        const o = optionsFrom(rng, {
          dataDir: { valid: [s.dir], invalid: ['', 5, null] },
          topic: { valid: ['t2', 'u'], invalid: badTopicNames },
          partition: { valid: [0, 1], invalid: [-1, 'x', 1.5, 2 ** 31, null] },
          config: { valid: [{}, { segmentBytes: 1024 * 1024 }], invalid: [{ segmentBytes: 0 }, { segmentByte: 1 }, 5, { flushPolicy: 'never' }, { retentionMs: 'x' }] },
        }, 0.5);
        const options = { dataDir: s.dir, topic: 'other', partition: 0, ...o.options };
        return call(`PartitionLog.open(${describe(options)}) ${o.bad}`, o.expect, async () => (await PartitionLog.open(options as never)).close());
      }
      case 1: {
        const b = arg(rng, [s.batch], 0.5, [rng.bytes(rng.int(100)), new Uint8Array(0), null, 5, 'x', s.batch.subarray(0, 30)]);
        return call(`append(${describe(b.value)})`, b.bad ? 'invalid' : 'any', () => log.append(b.value as never));
      }
      case 2: {
        const o = arg(rng, [{}, { maxBytes: 100 }], 0.3, [{ maxBytes: -1 }, 5, { maxBytes: 'x' }]);
        return call(`read(${describe(offset.value)}, ${describe(o.value)})`, offset.bad || o.bad ? 'invalid' : 'any', () => log.read(offset.value as never, o.value as never));
      }
      case 3:
        return call(`truncateTo(${describe(offset.value)})`, offset.bad ? 'invalid' : 'any', () => log.truncateTo(offset.value as never));
      case 4:
        return call(`deleteRecords(${describe(offset.value)})`, offset.bad ? 'invalid' : 'any', () => log.deleteRecords(offset.value as never));
      case 5: {
        const ts = arg(rng, [0, Date.now()], 0.5, [-2, 'x', NaN, null]);
        return call(`offsetForTimestamp(${describe(ts.value)})`, ts.bad ? 'invalid' : 'any', () => log.offsetForTimestamp(ts.value as never));
      }
      case 6: {
        const o = optionsFrom(rng, logConfigs, 0.5);
        return call(`updateConfig(${describe(o.options)}) ${o.bad}`, o.expect, () => log.updateConfig(o.options as never));
      }
      case 7: {
        const e = arg(rng, [0, 5], 0.5, [-2, 'x', NaN, null]);
        return call(`endOffsetForEpoch(${describe(e.value)})`, e.bad ? 'invalid' : 'any', () => log.endOffsetForEpoch(e.value as never));
      }
      default: {
        const now = arg(rng, [Date.now()], 0.5, [-1, 'x', NaN]);
        return call(`enforceRetention(${describe(now.value)}) + compact`, now.bad ? 'invalid' : 'any', async () => {
          await log.enforceRetention(now.value as never);
          await log.compact(now.value as never);
        });
      }
    }
  },
};

const memoryLog: FuzzTarget = {
  name: 'MemoryLog',
  next(rng) {
    const o = optionsFrom(rng, {
      topic: { valid: ['t'], invalid: badTopicNames },
      partition: { valid: [0], invalid: [-1, 'x', 1.5] },
      config: { valid: [{}], invalid: [{ segmentBytes: 0 }, 5, { nope: 1 }] },
    }, 0.5);
    const options = { topic: 't', partition: 0, ...o.options };
    return call(`new MemoryLog(${describe(options)}) ${o.bad}`, o.expect, async () => {
      const log = new MemoryLog(options as never);
      log.write(await encodeBatch([{ value: Buffer.from('a') }]));
      log.read(rng.pick([0, 1, -1, NaN]) as number);
    });
  },
};

// ------------------------------------------------------------------ MetadataQuorum

const quorum: FuzzTarget = {
  name: 'MetadataQuorum.start',
  next(rng) {
    const o = optionsFrom(rng, {
      voters: { valid: [1], invalid: [0, 2, 4, 'x', null] },
      tickMs: { valid: [50], invalid: [0, -1, 'x', 1e12] },
      electionTimeoutMs: { valid: [300], invalid: [1e12, 5, 'x', NaN] },
      snapshotBytes: { valid: [1024 * 1024], invalid: [-1, 'x'] },
      controller: { valid: [{}], invalid: [5, { nope: 1 }, { brokerSessionTimeoutMs: 'x' }] },
      dataDir: { valid: [undefined], invalid: ['', 5] },
    }, 0.7);
    return call(`MetadataQuorum.start(${describe(o.options)}) ${o.bad}`, o.expect, async () => (await MetadataQuorum.start(o.options as never)).close(), 30_000);
  },
};

// ------------------------------------------------------------------ tributary-log/testing

const testing: FuzzTarget<Cluster> = {
  name: 'testing',
  ...clusterState,
  next(rng, cluster) {
    const which = rng.int(3);
    if (which === 0) {
      const o = arg(rng, [{ timeoutMs: 100, intervalMs: 10 }, { timeoutMs: 50 }], 0.5, [{ timeoutMs: -1 }, { timeoutMs: 'x' }, { intervalMs: 0 }, 5, { timeoutMs: 1e12, intervalMs: 1e12 }, { timeout: 5 }, null]);
      const cond = rng.pick([() => true, () => false, () => Promise.reject(new Error('x')), 5, null]);
      const bad = o.bad || typeof cond !== 'function';
      return call(`waitFor(${describe(cond)}, ${describe(o.value)})`, bad ? 'invalid' : 'any', () => waitFor(cond as never, o.value as never));
    }
    if (which === 1) {
      // Only topics without a leader to kill, or bad arguments: the shared cluster must live on.
      const topic = arg(rng, [fresh('fz-missing')], 0.5, badTopicNames);
      const p = arg(rng, [0], 0.5, [-1, 'x', 1.5, null]);
      return call(`killPartitionLeader(${describe(topic.value)}, ${describe(p.value)})`, 'any', () => killPartitionLeader(cluster, topic.value as never, p.value as never));
    }
    const hooks = arg(rng, ['fake'], 0.5, [null, 5, {}, { before: 5, after: 5 }, { before: () => {} }]);
    const o = arg(rng, [{ nodes: 1 }], 0.5, [{ node: 1 }, 5, { nodes: 'x' }]);
    return call(`useCluster(${describe(o.value)}, ${describe(hooks.value)})`, hooks.bad || o.bad ? 'invalid' : 'any', async () => {
      let before: (() => unknown) | undefined;
      let after: (() => unknown) | undefined;
      const fake = { before: (fn: () => unknown) => (before = fn), after: (fn: () => unknown) => (after = fn) };
      const get = useCluster(o.value as never, (hooks.value === 'fake' ? fake : hooks.value) as never);
      try {
        await before?.();
        get();
      } finally {
        await after?.();
      }
    }, 30_000);
  },
};

/** Every public entry point, in the order inputs go round them. */
export const apiTargets: readonly FuzzTarget<any>[] = [
  clusterStart, clusterMethods, admin, producer, consumer, consumerGroup, topicTarget, serdeTarget, partitionerTarget, recordFormat, partitionLog, memoryLog, quorum, testing,
];

// `Admin` is constructed through `cluster.admin()`; the class is also public.
void Admin;
