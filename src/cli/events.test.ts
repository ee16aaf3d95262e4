/**
 * What `tributary serve` logs, from real metadata images: a topic created, a node fenced
 * when it is killed, and its partitions' leaders moving to the others.
 */
import { describe, expect, it } from 'vitest';
import { Cluster } from '../cluster.js';
import { describeChanges } from './events.js';

async function until(cond: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('describeChanges', () => {
  it('tells of registrations, topics created, a node fenced and leaders moved', async () => {
    await using cluster = await Cluster.start({ nodes: 3, brokerSessionTimeoutMs: 1000 });
    const start = cluster.metadata;
    expect(describeChanges(undefined, start).filter((l) => /^node \d registered/.test(l))).toHaveLength(3);
    await cluster.admin().createTopics([{ name: 'events-orders', partitions: 6, replicationFactor: 3 }]);
    await until(() => cluster.metadata.topic('events-orders')?.partitions.every((p) => p.leader >= 0) === true, 'leaders');
    const withTopic = cluster.metadata;
    expect(describeChanges(start, withTopic)).toContain('topic events-orders created: 6 partitions, replication factor 3');
    const victim = withTopic.topic('events-orders')!.partitions[0]!.leader;
    cluster.killNode(victim);
    await until(() => cluster.metadata.broker(victim)?.fenced === true && cluster.metadata.topic('events-orders')!.partitions.every((p) => p.leader !== victim), 'the node fenced and its leaders moved');
    const lines = describeChanges(withTopic, cluster.metadata);
    expect(lines).toContain(`node ${victim} fenced`);
    expect(lines.some((l) => l.startsWith('leader moved: ') && l.includes(`events-orders-0 ${victim} -> `))).toBe(true);
    expect(describeChanges(cluster.metadata, cluster.metadata)).toEqual([]);
  }, 120_000);

  it('registers a SASL listener under its security protocol, and says so', async () => {
    await using cluster = await Cluster.start({ nodes: 1, listen: { port: 0 }, sasl: { users: { alice: 'secret' } } });
    const endpoint = cluster.metadata.broker(1)!.endpoints[0]!;
    expect([endpoint.name, endpoint.securityProtocol, `${endpoint.host}:${endpoint.port}`]).toEqual(['SASL_PLAINTEXT', 2, cluster.bootstrapServers]);
    expect(describeChanges(undefined, cluster.metadata)).toContain(`node 1 registered at ${cluster.bootstrapServers} (SASL_PLAINTEXT)`);
    await using plain = await Cluster.start({ nodes: 1, listen: { port: 0 } });
    expect(plain.metadata.broker(1)!.endpoints[0]).toMatchObject({ name: 'PLAINTEXT', securityProtocol: 0 });
  }, 60_000);
});
