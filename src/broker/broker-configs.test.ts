/**
 * A broker's configs as Kafka clients read them (DescribeConfigs of a BROKER resource),
 * through the public admin: every config with the value the node runs with and Kafka's
 * source and read-only flag; the cluster-wide default resource lists only what is set;
 * another broker's id on this broker is INVALID_REQUEST; read-only configs refuse a change
 * with Kafka's words; dynamic ones apply (the cluster-wide `log.retention.ms` becomes a
 * topic's `retention.ms`).
 */
import { describe, expect, it } from 'vitest';
import { Cluster } from '../cluster.js';
import { ApiKey } from '../protocol/api-keys.js';
import { isTributaryError } from '../util/errors.js';
import { untilNodeImage } from '../../test/helpers/node-image.js';

describe('broker configs through the public admin', { timeout: 120_000 }, () => {
  it('describes every broker config a client or operator tool reads, with the values the node applies', async () => {
    await using cluster = await Cluster.start({ nodes: 3, defaultPartitions: 4, broker: { replicaLagTimeMaxMs: 12_000 } });
    const admin = cluster.admin();
    const c = await admin.describeBrokerConfigs(2);
    const v = (name: string): [string | null, string, boolean] | undefined => (c[name] === undefined ? undefined : [c[name]!.value, c[name]!.source, c[name]!.readOnly]);
    expect(Object.keys(c).length).toBeGreaterThanOrEqual(60);
    expect(v('node.id')).toEqual(['2', 'STATIC_BROKER_CONFIG', true]);
    expect(v('broker.id')).toEqual(['2', 'STATIC_BROKER_CONFIG', true]);
    expect(v('process.roles')).toEqual(['broker,controller', 'STATIC_BROKER_CONFIG', true]);
    expect(c['controller.quorum.voters']!.value).toMatch(/^1@[^,]+:\d+,2@[^,]+:\d+,3@[^,]+:\d+$/);
    // Applied by the controller to topics created without a count; Kafka's default is 1.
    expect(v('num.partitions')).toEqual(['4', 'STATIC_BROKER_CONFIG', true]);
    expect(v('default.replication.factor')).toEqual(['3', 'STATIC_BROKER_CONFIG', true]);
    expect(v('auto.create.topics.enable')).toEqual(['true', 'DEFAULT_CONFIG', true]);
    expect(v('replica.lag.time.max.ms')).toEqual(['12000', 'STATIC_BROKER_CONFIG', true]);
    expect(v('group.min.session.timeout.ms')).toEqual(['1000', 'STATIC_BROKER_CONFIG', true]);
    expect(v('offsets.topic.num.partitions')).toEqual(['10', 'STATIC_BROKER_CONFIG', true]);
    expect(v('log.dirs')?.[0]).toBe(`${cluster.dataDir}/node-2`);
    // Dynamic ones: the effective value, changeable.
    expect(v('message.max.bytes')).toEqual(['1048588', 'DEFAULT_CONFIG', false]);
    expect(v('log.retention.ms')).toEqual(['604800000', 'DEFAULT_CONFIG', false]);
    expect(v('compression.type')).toEqual(['producer', 'DEFAULT_CONFIG', false]);
    // Configs of machinery Tributary lacks are not listed.
    expect(Object.keys(c).filter((n) => n.startsWith('transaction.'))).toEqual([]);

    // The number really applies: a topic created without a count gets num.partitions.
    await admin.createTopics([{ name: 'defaults' }]);
    expect((await admin.describeTopics(['defaults']))[0]!.partitions.length).toBe(4);
  });

  it('changes dynamic configs of the cluster-wide default and of one broker, and refuses read-only ones with Kafka’s answer', async () => {
    await using cluster = await Cluster.start({ nodes: 1 });
    const admin = cluster.admin();
    await admin.createTopics([{ name: 'follows' }]);
    await admin.alterBrokerConfigs(null, { 'log.retention.ms': '3600000' });
    await untilNodeImage(cluster, 'the default applied', async () => (await admin.describeBrokerConfigs(1))['log.retention.ms']!.value === '3600000');
    expect((await admin.describeBrokerConfigs(1))['log.retention.ms']).toEqual({ value: '3600000', source: 'DYNAMIC_DEFAULT_BROKER_CONFIG', readOnly: false });
    expect((await admin.describeConfigs('follows'))['retention.ms']).toMatchObject({ value: '3600000', source: 'DYNAMIC_DEFAULT_BROKER_CONFIG' });
    // One broker's own value comes before the cluster-wide one, and applies to its logs.
    await using producer = cluster.producer({ lingerMs: 0 });
    await producer.send('follows', { value: Buffer.alloc(5_000) });
    await admin.alterBrokerConfigs(1, { 'message.max.bytes': '2000' });
    await untilNodeImage(cluster, 'broker 1’s own value applied', async () => (await admin.describeBrokerConfigs(1))['message.max.bytes']!.value === '2000');
    expect((await admin.describeBrokerConfigs(1))['message.max.bytes']).toEqual({ value: '2000', source: 'DYNAMIC_BROKER_CONFIG', readOnly: false });
    expect((await admin.describeConfigs('follows'))['max.message.bytes']).toMatchObject({ value: '2000', source: 'DYNAMIC_BROKER_CONFIG' });
    await expect(producer.send('follows', { value: Buffer.alloc(5_000) })).rejects.toMatchObject({ code: 'MESSAGE_TOO_LARGE' });
    await admin.alterBrokerConfigs(1, { 'message.max.bytes': null });
    await untilNodeImage(cluster, 'broker 1’s own value removed', async () => (await admin.describeBrokerConfigs(1))['message.max.bytes']!.value === '1048588');
    await producer.send('follows', { value: Buffer.alloc(5_000) });

    const refused = await admin.alterBrokerConfigs(1, { 'log.retention.ms': '1', 'node.id': '7', 'num.partitions': '3' }).catch((e: unknown) => e);
    expect(isTributaryError(refused, 'INVALID_REQUEST')).toBe(true);
    expect((refused as Error).message).toBe('Cannot update these configs dynamically: Set(node.id, num.partitions)');
    // Nothing of the resource changed.
    expect((await admin.describeBrokerConfigs(1))['log.retention.ms']!.value).toBe('3600000');
    // A bad value of a broker config is INVALID_REQUEST (Kafka, KAFKA-13609); an unknown name INVALID_CONFIG.
    await expect(admin.alterBrokerConfigs(null, { 'log.retention.ms': 'soon' })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(admin.alterBrokerConfigs(null, { 'no.such.config': '1' })).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
  });

  it('answers the wire request as Kafka: key filtering, the default resource, another broker’s id, documentation and types', async () => {
    await using cluster = await Cluster.start({ nodes: 2 });
    await cluster.admin().alterBrokerConfigs(null, { 'log.segment.bytes': '2097152' });
    await untilNodeImage(cluster, 'broker 1 sees the default', async () => (await cluster.admin().describeBrokerConfigs(1))['log.segment.bytes']!.value === '2097152');
    const broker = cluster.node(1)!.broker;
    const r = await broker.handle({
      apiKey: ApiKey.DescribeConfigs,
      includeSynonyms: true,
      includeDocumentation: true,
      resources: [
        { resourceType: 4, resourceName: '1', configurationKeys: ['num.partitions', 'log.segment.bytes', 'replica.lag.time.max.ms', 'not.a.config'] },
        { resourceType: 4, resourceName: '' },
        { resourceType: 4, resourceName: '2' },
        { resourceType: 4, resourceName: 'one' },
      ],
    });
    const [own, clusterWide, other, bad] = r.results;
    expect(own!.configs.map((e) => [e.name, e.value, e.source, e.readOnly, e.configType])).toEqual([
      ['log.segment.bytes', '2097152', 'DYNAMIC_DEFAULT_BROKER_CONFIG', false, 3],
      ['num.partitions', '1', 'DEFAULT_CONFIG', true, 3],
      ['replica.lag.time.max.ms', '10000', 'STATIC_BROKER_CONFIG', true, 5],
    ]);
    expect(own!.configs[0]!.synonyms).toEqual([
      { name: 'log.segment.bytes', value: '2097152', source: 'DYNAMIC_DEFAULT_BROKER_CONFIG' },
      { name: 'log.segment.bytes', value: '1073741824', source: 'DEFAULT_CONFIG' },
    ]);
    expect(own!.configs[2]!.synonyms).toEqual([
      { name: 'replica.lag.time.max.ms', value: '10000', source: 'STATIC_BROKER_CONFIG' },
      { name: 'replica.lag.time.max.ms', value: '30000', source: 'DEFAULT_CONFIG' },
    ]);
    for (const e of own!.configs) expect(e.documentation?.length ?? 0).toBeGreaterThan(10);
    // The cluster-wide default lists what is set there, with only its own level as synonyms.
    expect(clusterWide!.configs.map((e) => [e.name, e.value, e.source, e.synonyms])).toEqual([
      ['log.segment.bytes', '2097152', 'DYNAMIC_DEFAULT_BROKER_CONFIG', [{ name: 'log.segment.bytes', value: '2097152', source: 'DYNAMIC_DEFAULT_BROKER_CONFIG' }]],
    ]);
    expect([other!.errorCode, other!.errorMessage]).toEqual(['INVALID_REQUEST', 'Unexpected broker id, expected 1 or empty string, but received 2']);
    expect(bad!.errorCode).toBe('INVALID_REQUEST');
  });
});
