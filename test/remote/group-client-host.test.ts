/**
 * A group member's host as Kafka's `MemberDescription.host()` and kafka-consumer-groups.sh's
 * HOST column give it: `/127.0.0.1` for a member connected over TCP, through
 * `Admin.describeGroup` and `tributary groups --describe`.
 */
import { expect, it } from 'vitest';
import { Cluster } from '../../src/cluster.js';
import { connect } from '../../src/index.js';
import { runCli } from '../helpers/cli.js';

it('describeGroup and groups --describe name the host a member connected from', async () => {
  await using cluster = await Cluster.start({ listen: { port: 0 } });
  await cluster.admin().createTopics([{ name: 'hosts', partitions: 1 }]);
  await cluster.producer().send('hosts', [{ value: 'a' }]);
  await using remote = await connect({ bootstrapServers: cluster.bootstrapServers });
  const group = remote.consumerGroup({ groupId: 'hosts-group', topics: ['hosts'], from: 'earliest' });
  try {
    for await (const _ of group) break;
    const d = await cluster.admin().describeGroup('hosts-group');
    expect(d.members.map((m) => m.clientHost)).toEqual(['/127.0.0.1']);
    const described = await runCli(['groups', '--bootstrap-server', cluster.bootstrapServers, '--describe', '--group', 'hosts-group'], { clientId: 'hosts-test' });
    expect(described.code).toBe(0);
    const row = described.out.split('\n').find((l) => l.startsWith('hosts-group '))!.split(/\s+/);
    expect(row[7]).toBe('/127.0.0.1');
  } finally {
    await group.close();
  }
}, 120_000);
