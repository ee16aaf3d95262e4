/**
 * Replication control through the controller's `handle`: the partition count of an
 * internal topic cannot change (its group-to-partition map would move every group), and
 * configs of internal topics stay alterable, as in Kafka.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../util/rng.js';
import { Controller } from './controller.js';
import { ConfigResourceType, type MetadataRecord } from './records.js';
import type { ControllerRequest, ControllerResponse } from './requests.js';
import { randomUuid } from './uuid.js';

/** A controller whose records commit as soon as it returns them, with `brokers` registered and unfenced. */
function committingController(brokers: number): <R extends ControllerRequest>(request: R) => ControllerResponse<R> {
  const controller = new Controller({ rng: new Rng(7), config: { metadataMaxIdleIntervalMs: 0 } });
  controller.activate(0, 0);
  let offset = 0;
  const handle = <R extends ControllerRequest>(request: R): ControllerResponse<R> => {
    const { records, response } = controller.handle(request, 0);
    records.forEach((record: MetadataRecord) => controller.replay(record, offset++));
    return response;
  };
  const ids = new Rng(3);
  for (let id = 0; id < brokers; id++) {
    const { brokerEpoch } = handle({ type: 'BrokerRegistration', brokerId: id, incarnationId: randomUuid(ids), listeners: [] });
    expect(handle({ type: 'BrokerHeartbeat', brokerId: id, brokerEpoch, currentMetadataOffset: offset - 1 }).isFenced).toBe(false);
  }
  return handle;
}

describe('internal topics in replication control', () => {
  it.each(['__consumer_offsets', '__transaction_state'])('refuses a new partition count for %s, with the message of Kafka\'s topic tool', (name) => {
    const handle = committingController(3);
    expect(handle({ type: 'CreateTopics', topics: [{ name, numPartitions: 3, replicationFactor: 1 }, { name: 'events', numPartitions: 1, replicationFactor: 1 }] }).topics.map((t) => t.errorCode)).toEqual(['NONE', 'NONE']);
    const results = handle({ type: 'CreatePartitions', topics: [{ name, count: 6 }, { name: 'events', count: 2 }] }).results;
    expect(results).toEqual([
      { name, errorCode: 'INVALID_REQUEST', errorMessage: `The number of partitions for the internal topic ${name} cannot be changed.` },
      // One refused topic does not stop the others of the same request.
      { name: 'events', errorCode: 'NONE', errorMessage: null },
    ]);
    const described = handle({ type: 'DescribeConfigs', resources: [{ resourceType: ConfigResourceType.Topic, resourceName: name, configurationKeys: ['retention.ms'] }] });
    expect(described.results[0]!.errorCode).toBe('NONE');
  });

  it('refuses validate-only too; an internal topic that does not exist is unknown first, as Kafka answers (__cluster_metadata never exists as a topic)', () => {
    const handle = committingController(1);
    expect(handle({ type: 'CreatePartitions', topics: [{ name: '__consumer_offsets', count: 60 }], validateOnly: true }).results[0]!.errorCode).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    expect(handle({ type: 'CreatePartitions', topics: [{ name: '__cluster_metadata', count: 2 }] }).results[0]!.errorCode).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    handle({ type: 'CreateTopics', topics: [{ name: '__consumer_offsets', numPartitions: 2, replicationFactor: 1, configs: [{ name: 'cleanup.policy', value: 'compact' }] }] });
    expect(handle({ type: 'CreatePartitions', topics: [{ name: '__consumer_offsets', count: 60 }], validateOnly: true }).results[0]!.errorCode).toBe('INVALID_REQUEST');
  });

  it('lets configs of an internal topic change, as Kafka does (operators tune __consumer_offsets segments)', () => {
    const handle = committingController(1);
    handle({ type: 'CreateTopics', topics: [{ name: '__consumer_offsets', numPartitions: 2, replicationFactor: 1, configs: [{ name: 'cleanup.policy', value: 'compact' }] }] });
    const altered = handle({
      type: 'IncrementalAlterConfigs',
      resources: [{ resourceType: ConfigResourceType.Topic, resourceName: '__consumer_offsets', configs: [{ name: 'segment.bytes', configOperation: 'SET', value: '1048576' }] }],
    });
    expect(altered.responses[0]!.errorCode).toBe('NONE');
    const described = handle({ type: 'DescribeConfigs', resources: [{ resourceType: ConfigResourceType.Topic, resourceName: '__consumer_offsets', configurationKeys: ['segment.bytes'] }] });
    expect(described.results[0]!.configs[0]!.value).toBe('1048576');
  });
});
