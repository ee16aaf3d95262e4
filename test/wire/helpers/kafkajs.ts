import { Kafka, logLevel, type Admin as KafkaAdmin } from 'kafkajs';
import { afterAll, beforeAll } from 'vitest';
import { startWireCluster, type WireCluster } from './cluster.js';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

/**
 * One 3-node cluster with listeners for a test file, and a KafkaJS client and connected
 * admin for it (KafkaJS's retries and timeouts set for a loaded machine), handed to `use`
 * before the tests run; the admin disconnects and the cluster closes after them.
 */
export function kafkaJsForFile(clientId: string, use: (cluster: WireCluster, kafka: Kafka, admin: KafkaAdmin) => void): void {
  let cluster: WireCluster | undefined;
  let admin: KafkaAdmin | undefined;
  beforeAll(async () => {
    cluster = await startWireCluster({ nodes: 3 });
    const kafka = new Kafka({
      clientId,
      brokers: cluster.bootstrapServers.split(','),
      logLevel: logLevel.NOTHING,
      connectionTimeout: 30_000,
      requestTimeout: 60_000,
      retry: { retries: 12, initialRetryTime: 200, maxRetryTime: 5_000 },
    });
    admin = kafka.admin();
    await admin.connect();
    use(cluster, kafka, admin);
  }, 120_000);
  afterAll(async () => {
    await admin?.disconnect();
    await cluster?.close();
  }, 120_000);
}
