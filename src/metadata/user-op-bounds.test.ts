/**
 * Kafka's bounds on one user operation, through the controller's `handle`: a CreateTopics
 * of more than 10,000 partitions in all (`MAX_PARTITIONS_PER_BATCH`), and any admin
 * request that would write more than 10,000 records (`MAX_RECORDS_PER_USER_OP`), fail
 * with POLICY_VIOLATION and Kafka's messages, writing nothing; records that would not fit
 * one metadata log entry fail with RECORD_LIST_TOO_LARGE. The controller goes on serving.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../util/rng.js';
import { Controller, type ControllerConfig } from './controller.js';
import { excessivelyLargeBatch, recordsPerUserOpMax } from './controller-txn.js';
import { ConfigResourceType, type MetadataRecord } from './records.js';
import { tooManyPartitionsMessage } from './replication-control.js';
import type { ControllerRequest, ControllerResponse } from './requests.js';
import { randomUuid } from './uuid.js';

/** A controller whose records commit as soon as it returns them, with one broker registered and unfenced; `handle` also says how many records a request wrote. */
function committingController(config: Partial<ControllerConfig> = {}) {
  const controller = new Controller({ rng: new Rng(7), config: { metadataMaxIdleIntervalMs: 0, ...config } });
  controller.activate(0, 0);
  let offset = 0;
  const handle = <R extends ControllerRequest>(request: R): { response: ControllerResponse<R>; written: number } => {
    const { records, response } = controller.handle(request, 0);
    records.forEach((record: MetadataRecord) => controller.replay(record, offset++));
    return { response, written: records.length };
  };
  const { brokerEpoch } = handle({ type: 'BrokerRegistration', brokerId: 0, incarnationId: randomUuid(new Rng(3)), listeners: [] }).response;
  expect(handle({ type: 'BrokerHeartbeat', brokerId: 0, brokerEpoch, currentMetadataOffset: offset - 1 }).response.isFenced).toBe(false);
  return { controller, handle };
}

const policyViolation = (message: string) => ({ errorCode: 'POLICY_VIOLATION', errorMessage: message });

describe('bounds on one user operation (Kafka: MAX_RECORDS_PER_USER_OP, MAX_PARTITIONS_PER_BATCH)', () => {
  it('refuses a CreateTopics of more than 10,000 partitions in all, every topic with Kafka\'s error, and writes nothing', () => {
    const { controller, handle } = committingController();
    for (const topics of [
      [{ name: 't', numPartitions: 100_000, replicationFactor: 1 }],
      // Counted over the request: the default count for -1, assignments by their length.
      [{ name: 'a', numPartitions: 5_000, replicationFactor: 1 }, { name: 'b', numPartitions: 5_000, replicationFactor: 1 }, { name: 'c', numPartitions: -1, replicationFactor: 1 }],
      [{ name: 'a', numPartitions: 10_000, replicationFactor: 1 }, { name: 'b', assignments: [{ partitionIndex: 0, brokerIds: [0] }] }],
    ]) {
      const { response, written } = handle({ type: 'CreateTopics', topics });
      expect(written).toBe(0);
      expect(response.topics).toEqual(topics.map((t) => expect.objectContaining({ name: t.name, ...policyViolation(tooManyPartitionsMessage) })));
      // validateOnly is refused alike.
      expect(handle({ type: 'CreateTopics', topics, validateOnly: true }).response.topics[0]).toMatchObject(policyViolation(tooManyPartitionsMessage));
    }
    expect(controller.image.topicCount).toBe(0);
    // And the controller goes on: a normal topic is created.
    expect(handle({ type: 'CreateTopics', topics: [{ name: 'after', numPartitions: 2, replicationFactor: 1 }] }).response.topics[0]!.errorCode).toBe('NONE');
  });

  it('creates the largest topic within the bound (9,999 partitions: 10,000 records) and refuses one record more', () => {
    const { controller, handle } = committingController();
    const largest = handle({ type: 'CreateTopics', topics: [{ name: 'largest', numPartitions: recordsPerUserOpMax - 1, replicationFactor: 1 }] });
    expect(largest.response.topics[0]).toMatchObject({ errorCode: 'NONE', numPartitions: 9_999 });
    expect(largest.written).toBe(recordsPerUserOpMax);
    // 10,000 partitions pass the partition count (not over 10,000) but make 10,001 records:
    // Kafka's BoundedList refuses the last, and the request fails whole.
    const over = handle({ type: 'CreateTopics', topics: [{ name: 'over', numPartitions: 10_000, replicationFactor: 1 }] });
    expect(over.written).toBe(0);
    expect(over.response.topics[0]).toMatchObject({ name: 'over', ...policyViolation(excessivelyLargeBatch) });
    // Config records count too: 9,999 partitions and one config are 10,001 records.
    const withConfig = handle({ type: 'CreateTopics', topics: [{ name: 'cfg', numPartitions: 9_999, replicationFactor: 1, configs: [{ name: 'retention.ms', value: '1000' }] }] });
    expect(withConfig.written).toBe(0);
    expect(withConfig.response.topics[0]).toMatchObject(policyViolation(excessivelyLargeBatch));
    expect(controller.image.topicCount).toBe(1);
  });

  it('refuses a CreatePartitions that would write more than 10,000 records, for every topic of the request', () => {
    const { controller, handle } = committingController();
    handle({ type: 'CreateTopics', topics: [{ name: 'a', numPartitions: 1, replicationFactor: 1 }, { name: 'b', numPartitions: 1, replicationFactor: 1 }] });
    const over = handle({ type: 'CreatePartitions', topics: [{ name: 'a', count: 6_000 }, { name: 'b', count: 6_000 }] });
    expect(over.written).toBe(0);
    expect(over.response.results).toEqual([
      { name: 'a', ...policyViolation(excessivelyLargeBatch) },
      { name: 'b', ...policyViolation(excessivelyLargeBatch) },
    ]);
    expect(controller.image.topic('a')!.partitions.length).toBe(1);
    // Exactly 10,000 new partitions is within the bound.
    const largest = handle({ type: 'CreatePartitions', topics: [{ name: 'a', count: 10_001 }] });
    expect(largest.response.results[0]!.errorCode).toBe('NONE');
    expect(largest.written).toBe(10_000);
  });

  it('bounds IncrementalAlterConfigs and DeleteTopics alike', () => {
    const { controller, handle } = committingController();
    const names = Array.from({ length: recordsPerUserOpMax + 1 }, (_, i) => `t${i}`);
    // A topic of one partition is two records: 4,000 topics a request.
    for (const part of [names.slice(0, 4_000), names.slice(4_000, 8_000), names.slice(8_000)]) {
      const created = handle({ type: 'CreateTopics', topics: part.map((name) => ({ name, numPartitions: 1, replicationFactor: 1 })) });
      expect(created.response.topics.every((t) => t.errorCode === 'NONE')).toBe(true);
    }
    const set = (list: string[]) => handle({
      type: 'IncrementalAlterConfigs',
      resources: list.map((name) => ({ resourceType: ConfigResourceType.Topic, resourceName: name, configs: [{ name: 'retention.ms', configOperation: 'SET' as const, value: '1000' }] })),
    });
    const overConfigs = set(names);
    expect(overConfigs.written).toBe(0);
    expect(overConfigs.response.responses[10_000]).toMatchObject({ resourceName: 't10000', ...policyViolation(excessivelyLargeBatch) });
    expect(set(names.slice(0, recordsPerUserOpMax)).written).toBe(recordsPerUserOpMax);
    const overDelete = handle({ type: 'DeleteTopics', topics: names.map((name) => ({ name })) });
    expect(overDelete.written).toBe(0);
    expect(overDelete.response.responses[0]).toMatchObject(policyViolation(excessivelyLargeBatch));
    expect(controller.image.topicCount).toBe(names.length);
    expect(handle({ type: 'DeleteTopics', topics: names.slice(1).map((name) => ({ name })) }).written).toBe(recordsPerUserOpMax);
    expect(controller.image.topicCount).toBe(1);
  });

  it('refuses records that would not fit one metadata log entry with RECORD_LIST_TOO_LARGE, and writes nothing', () => {
    const { controller, handle } = committingController({ entryBytesMax: 1000 });
    const big = handle({ type: 'CreateTopics', topics: [{ name: 'big', numPartitions: 200, replicationFactor: 1 }] });
    expect(big.written).toBe(0);
    expect(big.response.topics[0]).toMatchObject({ name: 'big', errorCode: 'RECORD_LIST_TOO_LARGE' });
    expect(big.response.topics[0]!.errorMessage).toMatch(/201 metadata records take \d+ bytes, over the 1000/);
    expect(controller.image.topicCount).toBe(0);
    expect(handle({ type: 'CreateTopics', topics: [{ name: 'small', numPartitions: 2, replicationFactor: 1 }] }).response.topics[0]!.errorCode).toBe('NONE');
  });
});
