/**
 * Logs, diagnostics channels and metrics, through the public API: a pino logger and a
 * console both receive the cluster's lines; a failed auto-commit is logged, not
 * swallowed; each `tributary:*` channel carries its events; `cluster.metrics()`,
 * `consumer.metrics()` and `prometheusText` report what happened.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { Writable } from 'node:stream';
import { Console } from 'node:console';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  Cluster,
  ConsumerGroup,
  TributaryError,
  diagnosticChannels,
  prometheusText,
  type ElectionEvent,
  type FencingEvent,
  type FetchEvent,
  type GroupRebalanceEvent,
  type Logger,
  type ProduceEvent,
  type RecoveryEvent,
  type Transport,
} from '../../src/index.js';
import { useSimulatedClock } from '../helpers/sim-clock.js';
import { useTempDirs } from '../helpers/temp-dirs.js';

const tempDir = useTempDirs('tributary-observe-');

// On simulated time: fencing, registration waits and auto-commits run in the clock's time.
const sim = useSimulatedClock();
const { clock } = sim;

/** Waits (polling, in the clock's time) until `check` holds; fails after a generous deadline. Counts, never times. */
function until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  return sim.until(what, check, timeoutMs);
}

/** A stream that keeps what is written to it, line by line. */
function sink(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString().split('\n').filter((l) => l.length > 0));
      done();
    },
  });
  return { stream, lines };
}

/** Subscribes to a channel for the test; unsubscribed after it. */
const subscriptions: (() => void)[] = [];
function collect<T>(name: string): T[] {
  const seen: T[] = [];
  const fn = (m: unknown) => seen.push(m as T);
  subscribe(name, fn);
  subscriptions.push(() => unsubscribe(name, fn));
  return seen;
}
afterEach(() => {
  for (const off of subscriptions.splice(0)) off();
  vi.restoreAllMocks();
});

describe('logger', () => {
  it('a pino logger receives JSON lines with fields and messages', async () => {
    const { stream, lines } = sink();
    const logger: Logger = pino({ level: 'debug' }, stream); // pino satisfies Logger as it is
    const cluster = await Cluster.start({ logger, clock });
    await cluster.close();
    const started = lines.map((l) => JSON.parse(l) as { level: number; msg: string; clusterId?: string }).find((l) => l.msg.startsWith('cluster started'));
    expect(started).toMatchObject({ level: 30, clusterId: cluster.clusterId });
    expect(lines.some((l) => l.includes('is the active controller'))).toBe(true);
  });

  it('a console receives the same lines; the default console logs warnings only; bad logger options are refused', async () => {
    const { stream, lines } = sink();
    const custom = new Console({ stdout: stream, stderr: stream });
    const a = await Cluster.start({ logger: custom, logLevel: 'info', clock });
    await a.close();
    expect(lines.some((l) => l.includes('cluster started'))).toBe(true);

    const info = vi.spyOn(console, 'info').mockImplementation(() => {});
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const b = await Cluster.start({ nodes: 3, brokerSessionTimeoutMs: 300, clock });
    b.killNode(3);
    await until(() => b.describe().find((n) => n.id === 3)!.fenced && warn.mock.calls.length > 0, 'a warning about the fenced node');
    await b.close();
    expect(info).not.toHaveBeenCalled();
    expect(String(warn.mock.calls[0]![0])).toMatch(/^\[tributary\] node 3 fenced/);

    await expect(Cluster.start({ logLevel: 'loud' as never })).rejects.toMatchObject({ code: 'INVALID_CONFIG', option: 'logLevel' });
    await expect(Cluster.start({ logger: { info() {} } as never })).rejects.toMatchObject({ code: 'INVALID_CONFIG', option: 'logger' });
  });

  it('a failed auto-commit is logged as a warning, not swallowed', async () => {
    await using cluster = await Cluster.start({ logLevel: 'silent', clock });
    await cluster.admin().createTopics([{ name: 't' }]);
    await cluster.producer().send('t', [{ value: 'a' }]);
    // A transport on which every OffsetCommit fails (an ACL would do this on Kafka).
    const refusing: Transport = {
      bootstrapNodes: () => cluster.transport.bootstrapNodes(),
      close: async () => {},
      send: (node, request) => (request.apiKey === 8 ? Promise.reject(new TributaryError('GROUP_AUTHORIZATION_FAILED', 'no commits for you')) : cluster.transport.send(node, request)),
    };
    const warnings: string[] = [];
    const logger: Logger = { debug() {}, info() {}, warn: (_fields, msg) => warnings.push(String(msg)), error() {} };
    const group = new ConsumerGroup(refusing, { groupId: 'g', topics: ['t'], from: 'earliest', autoCommitIntervalMs: 20, logger }, clock);
    for await (const r of group) if (r.offset === 0) break;
    await until(() => warnings.some((w) => w.includes('auto-commit failed')), 'the auto-commit warning');
    expect(warnings.find((w) => w.includes('auto-commit failed'))).toContain('no commits for you');
    await group.close();
  });
});

describe('diagnostics channels', () => {
  it('produce, fetch, rebalance and election events', async () => {
    const produced = collect<ProduceEvent>(diagnosticChannels.produce);
    const fetched = collect<FetchEvent>(diagnosticChannels.fetch);
    const rebalanced = collect<GroupRebalanceEvent>(diagnosticChannels.rebalance);
    const elected = collect<ElectionEvent>(diagnosticChannels.election);
    await using cluster = await Cluster.start({ logLevel: 'silent', clock });
    await cluster.admin().createTopics([{ name: 'events', partitions: 2 }]);
    await cluster.producer().send('events', [{ key: 'a', value: '1' }, { key: 'a', value: '2' }]);
    const group = cluster.consumerGroup({ groupId: 'g', topics: ['events'], from: 'earliest' });
    let n = 0;
    for await (const _ of group) if (++n === 2) break;
    await group.close();
    expect(produced).toEqual([expect.objectContaining({ nodeId: 1, topic: 'events', records: 2, baseOffset: 0 })]);
    expect(produced[0]!.bytes).toBeGreaterThan(0);
    // At least the two records (a rebalance may make the group fetch some again).
    expect(fetched.filter((f) => f.topic === 'events' && f.replicaId === -1).reduce((s, f) => s + f.records, 0)).toBeGreaterThanOrEqual(2);
    expect(rebalanced[0]).toMatchObject({ groupId: 'g', generationId: expect.any(Number) });
    expect(rebalanced[0]!.assignment.filter((tp) => tp.topic === 'events').length).toBe(2);
    expect(elected).toContainEqual({ type: 'controller', nodeId: 1, epoch: expect.any(Number) });
    expect(elected).toContainEqual(expect.objectContaining({ type: 'partition', nodeId: 1, topic: 'events', partition: produced[0]!.partition }));
  });

  it('fencing events when a node stops and returns', async () => {
    const fencing = collect<FencingEvent>(diagnosticChannels.fencing);
    await using cluster = await Cluster.start({ nodes: 3, logLevel: 'silent', clock });
    await cluster.stopNode(3);
    await until(() => fencing.some((e) => e.nodeId === 3 && e.fenced), 'node 3 fenced');
    await cluster.restartNode(3);
    await until(() => fencing.some((e) => e.nodeId === 3 && !e.fenced), 'node 3 unfenced');
  });

  it('recovery events, and an info line with bytes/s, for a log recovered after a crash', async () => {
    const dataDir = tempDir();
    const first = await Cluster.start({ dataDir, logLevel: 'silent', clock });
    await first.admin().createTopics([{ name: 't' }]);
    await first.producer().send('t', Array.from({ length: 100 }, (_, i) => ({ value: `v${i}` })));
    first.killNode(1);
    await first.close();
    const recovered = collect<RecoveryEvent>(diagnosticChannels.recovery);
    const { stream, lines } = sink();
    await using second = await Cluster.start({ dataDir, logger: pino({ level: 'debug' }, stream), clock });
    expect(await second.admin().listOffsets('t', 'latest')).toEqual([expect.objectContaining({ partition: 0, offset: 100 })]);
    const forT = recovered.filter((e) => e.topic === 't');
    expect(forT.map((e) => e.phase)).toEqual(['start', 'end']);
    expect(forT[0]!.bytes).toBeGreaterThan(0);
    expect(forT[1]).toMatchObject({ bytesTruncated: 0, durationMs: expect.any(Number) });
    expect(forT[1]!.bytes).toBeGreaterThan(0);
    // Small logs are reported at debug level (big ones at info), with the rate.
    const end = lines.map((l) => JSON.parse(l) as { msg: string; bytesPerSecond?: number }).find((l) => l.msg.startsWith('recovered t-0'));
    expect(end?.msg).toMatch(/MB\/s/);
    expect(end?.bytesPerSecond).toBeGreaterThanOrEqual(0);
  });
});

describe('progress of long waits', () => {
  it('a node that must wait to register says so while it waits', async () => {
    const messages: string[] = [];
    const logger: Logger = { debug() {}, info: (_f, msg) => messages.push(String(msg)), warn: (_f, msg) => messages.push(String(msg)), error() {} };
    // The controller heard from node 3's old incarnation, so the new one waits out its session (6 s).
    await using cluster = await Cluster.start({ nodes: 3, brokerSessionTimeoutMs: 6000, logger, clock });
    cluster.killNode(3);
    await cluster.restartNode(3);
    expect(messages.some((m) => m.startsWith('still waiting for node(s) 3 to register'))).toBe(true);
  }, 60_000);
});

describe('metrics', () => {
  it('cluster.metrics(): records and bytes in and out, request latency, partitions, controller, elections', async () => {
    await using cluster = await Cluster.start({ nodes: 3, logLevel: 'silent', clock });
    await cluster.admin().createTopics([{ name: 'orders', partitions: 3, replicationFactor: 3 }, { name: 'solo', partitions: 1, replicationFactor: 1 }]);
    const producer = cluster.producer({ lingerMs: 1 });
    await producer.send('orders', Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })));
    const consumer = cluster.consumer();
    consumer.assign([0, 1, 2].map((partition) => ({ topic: 'orders', partition })));
    for (const p of [0, 1, 2]) await consumer.seek({ topic: 'orders', partition: p }, 'earliest');
    let read = 0;
    for await (const _ of consumer) if (++read === 30) break;
    await consumer.close();

    const m = cluster.metrics();
    expect(m).toMatchObject({ kind: 'cluster', nodes: 3, runningNodes: 3, fencedNodes: 0, recordsIn: 30, recordsOut: 30, topicCount: 2, partitions: 4, offlinePartitions: 0 });
    expect(m.activeControllerId).toBeGreaterThan(0);
    expect(m.controllerElections).toBeGreaterThanOrEqual(1);
    expect(m.partitionLeaderElections).toBeGreaterThanOrEqual(3);
    expect(m.bytesIn).toBeGreaterThan(0);
    expect(m.bytesOut).toBeGreaterThan(0);
    expect(m.topics.orders).toMatchObject({ recordsIn: 30, recordsOut: 30 });
    expect(m.requestLatencyMs.Produce!.count).toBeGreaterThanOrEqual(1);
    expect(m.requestLatencyMs.Produce!.buckets.at(-1)!.count).toBe(m.requestLatencyMs.Produce!.count);

    // A node stops: its replicas leave the ISRs; the partition only it held goes offline.
    const solo = (await cluster.admin().describeTopics(['solo']))[0]!.partitions[0]!.leader;
    await cluster.stopNode(solo);
    // Fenced by its controlled shutdown (or, on a machine too loaded for it, by its session).
    await until(() => cluster.metrics().offlinePartitions === 1 && cluster.metrics().underReplicatedPartitions === 3, 'the stopped node fenced');
    const after = cluster.metrics();
    expect(after.runningNodes).toBe(2);
    // Counters survive the node's stop.
    expect(after.recordsIn).toBe(30);
    expect(after.recordsOut).toBe(30);
  });

  it('consumer.metrics() reports records, fetch latency and lag; producer.metrics() records sent and latency; prometheusText formats them all', async () => {
    await using cluster = await Cluster.start({ logLevel: 'silent', clock });
    await cluster.admin().createTopics([{ name: 'events' }]);
    const producer = cluster.producer({ lingerMs: 1 });
    await producer.send('events', Array.from({ length: 5 }, (_, i) => ({ value: `a${i}` })));
    const consumer = cluster.consumer({ clientId: 'reader' });
    consumer.assign([{ topic: 'events', partition: 0 }]);
    await consumer.seek({ topic: 'events', partition: 0 }, 'earliest');
    for await (const r of consumer) if (r.offset === 4) break;
    await producer.send('events', Array.from({ length: 5 }, (_, i) => ({ value: `b${i}` })));
    // The next fetch brings the new high watermark; nothing more is read, so the lag is 5.
    await until(() => consumer.metrics().lag === 5, 'lag 5');
    const cm = consumer.metrics();
    expect(cm).toMatchObject({ kind: 'consumer', clientId: 'reader', recordsConsumed: 5, partitions: [{ topic: 'events', partition: 0, position: 5, highWatermark: 10, lag: 5 }] });
    expect(cm.fetchLatencyMs.count).toBeGreaterThanOrEqual(1);

    const pm = producer.metrics();
    expect(pm).toMatchObject({ kind: 'producer', recordsSent: 10, batchErrors: 0, requestsInFlight: 0 });
    expect(pm.bytesSent).toBeGreaterThan(0);
    expect(pm.produceLatencyMs.count).toBeGreaterThanOrEqual(2);

    const text = prometheusText(cluster.metrics(), pm, cm);
    for (const line of text.trimEnd().split('\n')) {
      expect(line).toMatch(/^(# (HELP|TYPE) tributary_\w+ .+|tributary_\w+(\{(\w+="[^"]*",?)+\})? (-?[\d.e+-]+|\+Inf|NaN))$/);
    }
    expect(text).toContain('tributary_records_in_total 10');
    expect(text).toContain('tributary_topic_records_in_total{topic="events"} 10');
    expect(text).toContain('tributary_consumer_lag{client_id="reader",topic="events",partition="0"} 5');
    expect(text).toMatch(/tributary_request_latency_seconds_bucket\{api="Produce",le="\+Inf"\} \d+/);
    expect(text).toContain('# TYPE tributary_under_replicated_partitions gauge');
    expect(text).toMatch(/tributary_producer_records_sent_total\{client_id="[^"]+"\} 10/);
    await consumer.close();
  });
});
