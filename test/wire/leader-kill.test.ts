/**
 * A partition's leader is killed while each real client produces to it with acks=all:
 * the client retries against the new leader, and no record it was told is acknowledged
 * is lost. Each acknowledged record is looked for twice: read back through the same
 * client, and through Tributary's own Consumer. The topic has 1 partition, 3 replicas and
 * min.insync.replicas 2, so an acknowledged record is on at least two nodes when the
 * leader dies.
 */
import { Kafka, logLevel, type EachMessagePayload } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, kcat, kcatBase, requireClients, runKcat, runPython, start } from './helpers/clients.js';
import { readAll, startWireCluster, text, type WireCluster } from './helpers/cluster.js';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

let cluster: WireCluster;

beforeAll(async () => {
  requireClients();
  cluster = await startWireCluster({ nodes: 3 });
}, 120_000);

afterAll(async () => {
  await cluster?.close();
}, 120_000);

async function topicWithLeader(topic: string): Promise<number> {
  await cluster.admin().createTopics([{ name: topic, partitions: 1, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } }]);
  const [d] = await cluster.admin().describeTopics([topic]);
  return d!.partitions[0]!.leader;
}

/** The partition is led by another node now: the kill did land on the leader, and the clients followed the move. */
async function expectLeaderMoved(topic: string, killed: number): Promise<void> {
  const [d] = await cluster.admin().describeTopics([topic]);
  expect(d!.partitions[0]!.leader).not.toBe(killed);
  expect(d!.partitions[0]!.leader).toBeGreaterThan(0);
}

/** Brings every node back and waits until the topic's ISR is whole again, for the next client. */
async function heal(): Promise<void> {
  for (const n of cluster.describe()) if (!n.running) await cluster.restartNode(n.id);
}

/** Tributary's Consumer has every acknowledged value (duplicates from retries are allowed unless `exactlyOnce`). */
async function expectAllAcknowledged(topic: string, acked: readonly string[], exactlyOnce = false): Promise<void> {
  const values = (await readAll(cluster, topic)).map((r) => text(r.value)!);
  const have = new Set(values);
  const lost = acked.filter((v) => !have.has(v));
  expect(lost).toEqual([]);
  if (exactlyOnce) expect(values.length).toBe(have.size);
}

describe('a leader killed while a client produces with acks=all', { timeout: 300_000 }, () => {
  it('KafkaJS retries, and no acknowledged record is lost', async () => {
    const topic = 'kill-kafkajs';
    const leader = await topicWithLeader(topic);
    const kafka = new Kafka({ clientId: 'kill-kjs', brokers: cluster.bootstrapServers.split(','), logLevel: logLevel.NOTHING, connectionTimeout: 10_000, requestTimeout: 30_000, retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 2_000 } });
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const acked: string[] = [];
    const failed: string[] = [];
    let next = 0;
    let killed = false;
    const total = 240;
    // Four sends in flight at a time, so the kill lands while requests are outstanding.
    const loop = async (): Promise<void> => {
      while (next < total) {
        const value = `kjs-${next++}`;
        try {
          await producer.send({ topic, acks: -1, messages: [{ value }] });
          acked.push(value);
        } catch {
          failed.push(value);
        }
        if (!killed && acked.length >= 60) {
          killed = true;
          cluster.killNode(leader);
        }
      }
    };
    await Promise.all([loop(), loop(), loop(), loop()]);
    await producer.disconnect();
    expect(killed).toBe(true);
    // Retries carried every send through the failover.
    expect(failed).toEqual([]);
    expect(acked).toHaveLength(total);
    await expectLeaderMoved(topic, leader);

    // Read back through KafkaJS.
    const seen = new Set<string>();
    const consumer = kafka.consumer({ groupId: 'kill-kjs-reader', maxWaitTimeInMs: 200 });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }: EachMessagePayload) => void seen.add(message.value!.toString()) });
    try {
      await eventually('KafkaJS to read every acknowledged record', () => (acked.every((v) => seen.has(v)) ? true : undefined), 120_000);
    } finally {
      await consumer.disconnect();
    }
    await expectAllAcknowledged(topic, acked);
    await heal();
  });

  it('kcat retries, and no acknowledged record is lost', async () => {
    const topic = 'kill-kcat';
    const leader = await topicWithLeader(topic);
    const lines = Array.from({ length: 400 }, (_, i) => `kcat-${i}`);
    const p = start(kcat, kcatBase(cluster.bootstrapServers, ['-P', '-t', topic, '-p', '0', '-X', 'acks=all', '-X', 'message.timeout.ms=120000', '-X', 'retry.backoff.ms=100', '-X', 'linger.ms=5']), { timeoutMs: 240_000 });
    // Feed the records in slices, so that some are sent before the kill and some after.
    for (let i = 0; i < lines.length; i += 20) {
      p.child.stdin!.write(`${lines.slice(i, i + 20).join('\n')}\n`);
      if (i === 200) cluster.killNode(leader);
      await new Promise((r) => setTimeout(r, 25));
    }
    p.child.stdin!.end();
    const r = await p.done;
    // kcat exits 0 only when every message was delivered (acks=all); a failed delivery is logged and makes the exit status 1.
    expect({ code: r.code, stderr: r.stderr.split('\n').filter((l) => /fail|error/i.test(l) && !/Disconnected|Connect to|Receive failed|Broker transport|brokers are down|Send failed/i.test(l)) }).toEqual({ code: 0, stderr: [] });
    await expectLeaderMoved(topic, leader);
    const back = await runKcat(kcatBase(cluster.bootstrapServers, ['-C', '-t', topic, '-o', 'beginning', '-e', '-f', '%s\\n']));
    const got = new Set(back.trim().split('\n'));
    expect(lines.filter((l) => !got.has(l))).toEqual([]);
    await expectAllAcknowledged(topic, lines);
    await heal();
  });

  it('confluent-kafka-python (idempotent) retries, and no acknowledged record is lost or duplicated', async () => {
    const topic = 'kill-python';
    const leader = await topicWithLeader(topic);
    let killed = false;
    const produced = runPython<{ acked: { offset: number; value: string }[]; failed: unknown[]; unflushed: number }>('producer.py', [cluster.bootstrapServers, topic, 400, 'all', 'none', 10], {
      timeoutMs: 420_000,
      onStderr: (t) => {
        if (!killed && /sent (1[5-9]\d|[2-9]\d\d)/.test(t)) {
          killed = true;
          cluster.killNode(leader);
        }
      },
    });
    const out = await produced;
    expect(killed).toBe(true);
    expect(out.failed).toEqual([]);
    expect(out.unflushed).toBe(0);
    expect(out.acked).toHaveLength(400);
    await expectLeaderMoved(topic, leader);
    const acked = out.acked.map((a) => a.value);
    // Idempotence: the retried batches were not appended twice, so the reported offsets are dense.
    expect(out.acked.map((a) => a.offset).sort((x, y) => x - y)).toEqual(out.acked.map((_, i) => i));
    const consumed = await runPython<{ values: string[] }>('consumer.py', [cluster.bootstrapServers, topic, 'kill-py-reader', 400, 180], { timeoutMs: 240_000 });
    expect([...consumed.values].sort()).toEqual([...acked].sort());
    await expectAllAcknowledged(topic, acked, true);
    await heal();
    // The producer may take up to its 5 min message.timeout.ms (+ flush), the reader 3 min.
  }, 720_000);
});
