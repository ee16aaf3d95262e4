/**
 * A broker's configs with real Kafka clients: KafkaJS `describeConfigs` and
 * confluent-kafka-python `describe_configs` of a BROKER resource list every config with
 * the value the node runs with, its source and read-only flag (and synonyms), filter by
 * name as Kafka does, and a change of a read-only config is refused with Kafka's error.
 */
import { ConfigResourceTypes } from 'kafkajs';
import type { Admin as KafkaAdmin } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { eventually, requireClients, runPython } from './helpers/clients.js';
import type { WireCluster } from './helpers/cluster.js';
import { kafkaJsForFile } from './helpers/kafkajs.js';

let cluster: WireCluster;
let admin: KafkaAdmin;
kafkaJsForFile('broker-configs', (c, _k, a) => {
  requireClients();
  cluster = c;
  admin = a;
});

/** Kafka's ConfigSource numbers as KafkaJS reports them. */
const source = { TOPIC_CONFIG: 1, DYNAMIC_BROKER_CONFIG: 2, DYNAMIC_DEFAULT_BROKER_CONFIG: 3, STATIC_BROKER_CONFIG: 4, DEFAULT_CONFIG: 5 } as const;

describe('broker configs with real clients, 3 nodes', { timeout: 300_000 }, () => {
  it('KafkaJS describeConfigs of a broker: every config, the values applied, sources, read-only flags, key filtering', async () => {
    const all = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '2' }] });
    const entries = new Map(all.resources[0]!.configEntries.map((e) => [e.configName, e]));
    expect(all.resources[0]!.errorCode).toBe(0);
    expect(entries.size).toBeGreaterThanOrEqual(60);
    const pick = (name: string) => {
      const e = entries.get(name);
      return e === undefined ? undefined : [e.configValue, e.configSource, e.readOnly];
    };
    expect(pick('node.id')).toEqual(['2', source.STATIC_BROKER_CONFIG, true]);
    expect(pick('num.partitions')).toEqual(['1', source.DEFAULT_CONFIG, true]);
    expect(pick('default.replication.factor')).toEqual(['3', source.STATIC_BROKER_CONFIG, true]);
    expect(pick('message.max.bytes')).toEqual(['1048588', source.DEFAULT_CONFIG, false]);
    // The listener the client reached broker 2 on is the one it lists.
    const address = cluster.bootstrapServers.split(',')[1]!;
    expect(entries.get('advertised.listeners')!.configValue).toBe(`PLAINTEXT://${address}`);

    // KafkaJS refuses the cluster-wide default resource (an empty name): broker 2's own value.
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '2', configEntries: [{ name: 'log.retention.ms', value: '7200000' }] }] });
    // Broker 2 answers from its metadata image, which follows the controller's commit a moment later (as in Kafka).
    const some = await eventually('broker 2 to see its new log.retention.ms', async () => {
      const d = await admin.describeConfigs({
        includeSynonyms: true,
        resources: [{ type: ConfigResourceTypes.BROKER, name: '2', configNames: ['log.retention.ms', 'replica.lag.time.max.ms', 'no.such.config'] }],
      });
      return d.resources[0]!.configEntries[0]!.configValue === '7200000' ? d : undefined;
    });
    const [own] = some.resources;
    expect(own!.configEntries.map((e) => [e.configName, e.configValue, e.configSource, e.configSynonyms.map((s) => [s.configName, s.configValue, s.configSource])])).toEqual([
      ['log.retention.ms', '7200000', source.DYNAMIC_BROKER_CONFIG, [['log.retention.ms', '7200000', source.DYNAMIC_BROKER_CONFIG], ['log.retention.ms', '604800000', source.DEFAULT_CONFIG]]],
      ['replica.lag.time.max.ms', '10000', source.STATIC_BROKER_CONFIG, [['replica.lag.time.max.ms', '10000', source.STATIC_BROKER_CONFIG], ['replica.lag.time.max.ms', '30000', source.DEFAULT_CONFIG]]],
    ]);

    const refused = await admin
      .alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '2', configEntries: [{ name: 'broker.id', value: '9' }] }] })
      .catch((e: unknown) => e as { type?: string; message?: string });
    expect(refused).toMatchObject({ type: 'INVALID_REQUEST' });
  });

  it('confluent-kafka-python describe_configs of a broker, and alter_configs of a read-only config refused', async () => {
    type Entry = { value: string | null; source: number; read_only: boolean; is_default: boolean; synonyms: [string, string | null, number][] };
    const out = await runPython<{ configs: Record<string, Entry>; refused: [string, string] | null }>('broker_configs.py', [cluster.bootstrapServers, 3], { timeoutMs: 200_000 });
    expect(Object.keys(out.configs).length).toBeGreaterThanOrEqual(60);
    expect(out.configs['broker.id']).toMatchObject({ value: '3', source: source.STATIC_BROKER_CONFIG, read_only: true, is_default: false });
    expect(out.configs['auto.create.topics.enable']).toMatchObject({ value: 'true', source: source.DEFAULT_CONFIG, read_only: true, is_default: true });
    expect(out.configs['log.segment.bytes']).toMatchObject({ value: '1073741824', read_only: false });
    expect(out.configs['process.roles']!.value).toBe('broker,controller');
    expect(out.refused).toEqual(['INVALID_REQUEST', 'Cannot update these configs dynamically: Set(num.partitions)']);
  });
});
