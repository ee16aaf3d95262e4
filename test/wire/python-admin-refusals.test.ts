/**
 * confluent-kafka-python's AdminClient refusals and a consumer's stored offsets against a
 * 3-node cluster (session s13's librdkafka sweep; checked by hand in s11 and s13, now a
 * test). Each expected answer is Kafka's (`ReplicationControlManager` for topic and
 * partition creation, `ControllerApis.deleteTopics`, the group coordinator for offsets
 * and group states). The script is test/wire/py/admin_refusals.py.
 */
import { describe, expect, it } from 'vitest';
import { requireClients, runPython } from './helpers/clients.js';
import { clusterForFile, type WireCluster } from './helpers/cluster.js';

let cluster: WireCluster;
clusterForFile({ nodes: 3 }, (c) => (cluster = c), requireClients);

describe('confluent-kafka-python AdminClient refusals and stored offsets', { timeout: 300_000 }, () => {
  it('creates, refuses and validates as Kafka; store_offsets then commit commits what was stored', async () => {
    const out = await runPython('admin_refusals.py', [cluster.bootstrapServers, 'pyadm'], { timeoutMs: 280_000 });
    expect(out).toEqual({
      create: {
        'pyadm-t': null,
        'pyadm bad': 'TOPIC_EXCEPTION', // INVALID_TOPIC_EXCEPTION (17), librdkafka's name
        'pyadm-zero': 'INVALID_PARTITIONS',
        'pyadm-rf': 'INVALID_REPLICATION_FACTOR',
        'pyadm-unknown-config': 'INVALID_CONFIG',
        'pyadm-bad-value': 'INVALID_CONFIG',
        'pyadm-twice': 'INVALID_REPLICA_ASSIGNMENT',
        'pyadm-unregistered': 'INVALID_REPLICA_ASSIGNMENT',
      },
      create_again: { 'pyadm-t': 'TOPIC_ALREADY_EXISTS' },
      validate_only: { 'pyadm-validated': null },
      validated_exists: false,
      partitions: { unknown: 'UNKNOWN_TOPIC_OR_PART', fewer: 'INVALID_PARTITIONS', same: 'INVALID_PARTITIONS', validate_only: null, assignments: 'INVALID_REPLICA_ASSIGNMENT' },
      partition_count: 2,
      delete_unknown: { 'pyadm-none': 'UNKNOWN_TOPIC_OR_PART' },
      committed_before: [-1001, -1001],
      read: 10,
      commit: [
        [0, 5],
        [1, 2],
      ],
      committed_after: [5, 2],
      position: [5, 5],
      group_running: [['Stable', 'consumer', 'range', 1]],
      group_closed: [['Empty', 'consumer', '', 0]],
    });
  });
});
