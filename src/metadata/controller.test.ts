import { describe, expect, it } from 'vitest';
import { AssertionError } from '../util/assert.js';
import { Rng } from '../util/rng.js';
import { Controller, producerIdBlockSize, type ControllerConfig } from './controller.js';
import { imageDifference, replayRecords } from './image.js';
import { placeReplicas } from './placement.js';
import { ApiKey, ConfigResourceType, type MetadataRecord } from './records.js';
import type { ControllerRequest, ControllerResponse, ControllerResult, CreatableTopic } from './requests.js';
import { randomUuid, zeroUuid, type Uuid } from './uuid.js';

/**
 * A stand-in for the metadata quorum: it appends what the controller returns at the
 * offsets the controller predicted, and commits (replays) at once unless told to hold.
 */
class Quorum {
  now = 0;
  logEnd = 0;
  readonly committed: { record: MetadataRecord; offset: number }[] = [];
  readonly uncommitted: { record: MetadataRecord; offset: number }[] = [];
  hold = false;
  readonly controller: Controller;
  private readonly ids = new Rng(99);
  readonly epochs = new Map<number, number>();

  constructor(config: Partial<ControllerConfig> = {}) {
    this.controller = new Controller({ rng: new Rng(1), config: { metadataMaxIdleIntervalMs: 0, ...config } });
    this.controller.activate(0, 0);
  }

  append(records: readonly MetadataRecord[]): void {
    expect(this.controller.nextOffset).toBe(this.logEnd + records.length);
    for (const record of records) this.uncommitted.push({ record, offset: this.logEnd++ });
    if (!this.hold) this.commit();
  }

  commit(count = this.uncommitted.length): void {
    for (const r of this.uncommitted.splice(0, count)) {
      this.controller.replay(r.record, r.offset);
      this.committed.push(r);
    }
  }

  handle<R extends ControllerRequest>(request: R): ControllerResult<ControllerResponse<R>> {
    const result = this.controller.handle(request, this.now);
    this.append(result.records);
    return result;
  }

  tick(): ControllerResult<{ fencedBrokers: readonly number[] }> {
    const result = this.controller.tick(this.now);
    this.append(result.records);
    return result;
  }

  register(brokerId: number, incarnationId: Uuid = randomUuid(this.ids)): number {
    const r = this.handle({ type: 'BrokerRegistration', brokerId, incarnationId, listeners: [{ name: 'PLAINTEXT', host: 'localhost', port: 9000 + brokerId, securityProtocol: 0 }] });
    expect(r.response.errorCode).toBe('NONE');
    this.epochs.set(brokerId, r.response.brokerEpoch);
    return r.response.brokerEpoch;
  }

  heartbeat(brokerId: number, extra: { wantFence?: boolean; wantShutDown?: boolean; offset?: number } = {}) {
    return this.handle({
      type: 'BrokerHeartbeat',
      brokerId,
      brokerEpoch: this.epochs.get(brokerId) ?? -1,
      currentMetadataOffset: extra.offset ?? this.controller.lastCommittedOffset,
      wantFence: extra.wantFence,
      wantShutDown: extra.wantShutDown,
    });
  }

  /** Registers and unfences brokers. */
  brokers(...ids: number[]): void {
    for (const id of ids) {
      this.register(id);
      expect(this.heartbeat(id).response.isFenced).toBe(false);
    }
  }

  createTopic(topic: CreatableTopic): Uuid {
    const r = this.handle({ type: 'CreateTopics', topics: [topic] });
    expect(r.response.topics[0]!.errorMessage).toBeNull();
    return r.response.topics[0]!.topicId;
  }

  partition(topic: string, p: number) {
    return this.controller.image.topic(topic)!.partitions[p]!;
  }

  /** A controller that only ever replayed the committed log has the same image. */
  expectStandbyAgrees(): void {
    expect(imageDifference(replayRecords(this.committed), this.controller.image)).toBeUndefined();
  }
}

const topicError = (q: Quorum, topic: CreatableTopic): string => q.handle({ type: 'CreateTopics', topics: [topic] }).response.topics[0]!.errorCode;

describe('CreateTopics', () => {
  it('creates a topic: Topic and Partition records, replicas spread evenly, first replica leads, ISR = replicas', () => {
    const q = new Quorum();
    q.brokers(1, 2, 3);
    const r = q.handle({ type: 'CreateTopics', topics: [{ name: 'orders', numPartitions: 6, replicationFactor: 2, configs: [{ name: 'retention.ms', value: '1000' }] }] });
    expect(r.response.topics).toEqual([{ name: 'orders', topicId: expect.any(String), errorCode: 'NONE', errorMessage: null, numPartitions: 6, replicationFactor: 2 }]);
    expect(r.records.map((x) => x.apiKey)).toEqual([ApiKey.Topic, ApiKey.Config, ...Array(6).fill(ApiKey.Partition)]);
    const topic = q.controller.image.topic('orders')!;
    expect(topic.id).toBe(r.response.topics[0]!.topicId);
    const leads = new Map<number, number>();
    const hosts = new Map<number, number>();
    for (const p of topic.partitions) {
      expect(p.replicas.length).toBe(2);
      expect(new Set(p.replicas).size).toBe(2);
      expect(p.isr).toEqual(p.replicas);
      expect(p.leader).toBe(p.replicas[0]);
      expect(p.leaderEpoch).toBe(0);
      expect(p.partitionEpoch).toBe(0);
      leads.set(p.leader, (leads.get(p.leader) ?? 0) + 1);
      for (const b of p.replicas) hosts.set(b, (hosts.get(b) ?? 0) + 1);
    }
    expect([...leads.values()]).toEqual([2, 2, 2]);
    expect([...hosts.values()]).toEqual([4, 4, 4]);
    expect(q.controller.image.configs(ConfigResourceType.Topic, 'orders').get('retention.ms')).toBe('1000');
    q.expectStandbyAgrees();
  });

  it('uses num.partitions and default.replication.factor when given -1', () => {
    const q = new Quorum({ defaultNumPartitions: 3, defaultReplicationFactor: 2 });
    q.brokers(1, 2);
    q.createTopic({ name: 't' });
    expect(q.controller.image.topic('t')!.partitions.length).toBe(3);
    expect(q.partition('t', 0).replicas.length).toBe(2);
  });

  it('takes explicit assignments; fenced brokers are replicas but not in the ISR', () => {
    const q = new Quorum();
    q.brokers(1, 2);
    q.register(3); // registered, still fenced
    const r = q.handle({
      type: 'CreateTopics',
      topics: [{ name: 't', assignments: [{ partitionIndex: 1, brokerIds: [2, 1] }, { partitionIndex: 0, brokerIds: [3, 1] }] }],
    });
    expect(r.response.topics[0]).toMatchObject({ errorCode: 'NONE', numPartitions: 2, replicationFactor: 2 });
    expect(q.partition('t', 0)).toMatchObject({ replicas: [3, 1], isr: [1], leader: 1 });
    expect(q.partition('t', 1)).toMatchObject({ replicas: [2, 1], isr: [2, 1], leader: 2 });
  });

  it('rejects each invalid topic with its error code, and creates the valid ones of the same request', () => {
    const q = new Quorum({ numPartitionsMax: 100 });
    q.brokers(1, 2);
    q.register(3); // fenced: does not count as available
    q.createTopic({ name: 'exists' });
    q.createTopic({ name: 'a.b' });
    expect(topicError(q, { name: 'bad/name' })).toBe('INVALID_TOPIC_EXCEPTION');
    expect(topicError(q, { name: '' })).toBe('INVALID_TOPIC_EXCEPTION');
    expect(topicError(q, { name: 'x'.repeat(250) })).toBe('INVALID_TOPIC_EXCEPTION');
    expect(topicError(q, { name: 'exists' })).toBe('TOPIC_ALREADY_EXISTS');
    expect(topicError(q, { name: 'a_b' })).toBe('INVALID_TOPIC_EXCEPTION');
    expect(topicError(q, { name: 't', numPartitions: 0 })).toBe('INVALID_PARTITIONS');
    expect(topicError(q, { name: 't', numPartitions: -2 })).toBe('INVALID_PARTITIONS');
    expect(topicError(q, { name: 't', numPartitions: 101 })).toBe('INVALID_PARTITIONS');
    expect(topicError(q, { name: 't', numPartitions: 1.5 })).toBe('INVALID_PARTITIONS');
    expect(topicError(q, { name: 't', replicationFactor: 0 })).toBe('INVALID_REPLICATION_FACTOR');
    expect(topicError(q, { name: 't', replicationFactor: 3 })).toBe('INVALID_REPLICATION_FACTOR');
    expect(topicError(q, { name: 't', replicationFactor: 5000 })).toBe('INVALID_REPLICATION_FACTOR');
    expect(topicError(q, { name: 't', configs: [{ name: 'compression.type', value: 'x'.repeat(40_000) }] })).toBe('INVALID_CONFIG');
    const assign = (...lists: number[][]) => lists.map((brokerIds, partitionIndex) => ({ partitionIndex, brokerIds }));
    expect(topicError(q, { name: 't', numPartitions: 1, assignments: assign([1]) })).toBe('INVALID_REQUEST');
    expect(topicError(q, { name: 't', assignments: [{ partitionIndex: 1, brokerIds: [1] }] })).toBe('INVALID_REPLICA_ASSIGNMENT');
    expect(topicError(q, { name: 't', assignments: assign([1, 1]) })).toBe('INVALID_REPLICA_ASSIGNMENT');
    expect(topicError(q, { name: 't', assignments: assign([1, 9]) })).toBe('INVALID_REPLICA_ASSIGNMENT');
    expect(topicError(q, { name: 't', assignments: assign([1, 2], [1]) })).toBe('INVALID_REPLICA_ASSIGNMENT');
    expect(topicError(q, { name: 't', assignments: assign([]) })).toBe('INVALID_REPLICA_ASSIGNMENT');
    expect(topicError(q, { name: 't', assignments: assign([3]) })).toBe('INVALID_REPLICA_ASSIGNMENT'); // only a fenced broker
    expect(topicError(q, { name: 't', configs: [{ name: 'no.such.config', value: '1' }] })).toBe('INVALID_CONFIG');
    expect(topicError(q, { name: 't', configs: [{ name: 'retention.ms', value: 'soon' }] })).toBe('INVALID_CONFIG');
    expect(topicError(q, { name: 't', configs: [{ name: 'cleanup.policy', value: 'compact,shred' }] })).toBe('INVALID_CONFIG');
    expect(topicError(q, { name: 't', configs: [{ name: 'min.insync.replicas', value: '0' }] })).toBe('INVALID_CONFIG');
    expect(topicError(q, { name: 't', configs: [{ name: 'retention.ms', value: null }] })).toBe('INVALID_REQUEST');
    expect(topicError(q, { name: 't', configs: [{ name: 'retention.ms', value: '1' }, { name: 'retention.ms', value: '2' }] })).toBe('INVALID_REQUEST');
    expect(q.controller.image.topic('t')).toBeUndefined();

    const mixed = q.handle({ type: 'CreateTopics', topics: [{ name: 'dup' }, { name: 'good' }, { name: 'dup' }, { name: 'x.y' }, { name: 'x_y' }] });
    expect(mixed.response.topics.map((t) => t.errorCode)).toEqual(['INVALID_REQUEST', 'NONE', 'INVALID_REQUEST', 'NONE', 'INVALID_TOPIC_EXCEPTION']);
    expect(mixed.response.topics[0]).toMatchObject({ topicId: zeroUuid, numPartitions: -1, replicationFactor: -1 });
    expect(q.controller.image.topic('good')).toBeDefined();
    expect(q.controller.image.topic('dup')).toBeUndefined();
    q.expectStandbyAgrees();
  });

  it('validateOnly validates and writes nothing', () => {
    const q = new Quorum();
    q.brokers(1);
    const r = q.handle({ type: 'CreateTopics', topics: [{ name: 't', numPartitions: 2 }, { name: 't2', replicationFactor: 2 }], validateOnly: true });
    expect(r.records).toEqual([]);
    expect(r.response.topics.map((t) => [t.errorCode, t.topicId, t.numPartitions])).toEqual([
      ['NONE', zeroUuid, 2],
      ['INVALID_REPLICATION_FACTOR', zeroUuid, -1],
    ]);
    expect(q.controller.image.topic('t')).toBeUndefined();
    expect(q.controller.speculativeImage.topic('t')).toBeUndefined();
  });

  it('validates against records emitted but not yet committed', () => {
    const q = new Quorum();
    q.brokers(1);
    q.hold = true;
    expect(topicError(q, { name: 'a.b' })).toBe('NONE');
    expect(q.controller.image.topic('a.b')).toBeUndefined(); // not committed yet
    expect(q.controller.speculativeImage.topic('a.b')).toBeDefined();
    expect(topicError(q, { name: 'a.b' })).toBe('TOPIC_ALREADY_EXISTS');
    expect(topicError(q, { name: 'a_b' })).toBe('INVALID_TOPIC_EXCEPTION');
    expect(q.controller.uncommittedRecordCount).toBe(2);
    q.commit();
    expect(q.controller.uncommittedRecordCount).toBe(0);
    expect(q.controller.image.topic('a.b')).toBeDefined();
    expect(q.controller.speculativeImage).toBe(q.controller.image);
    q.expectStandbyAgrees();
  });
});

describe('DeleteTopics', () => {
  it('deletes by name and by id; unknown and repeated topics get errors', () => {
    const q = new Quorum();
    q.brokers(1);
    const a = q.createTopic({ name: 'a', configs: [{ name: 'retention.ms', value: '5' }] });
    const b = q.createTopic({ name: 'b' });
    q.createTopic({ name: 'c' });
    const r = q.handle({
      type: 'DeleteTopics',
      topics: [{ name: 'a' }, { topicId: b }, { name: 'nope' }, { topicId: randomUuid(new Rng(3)) }, { name: 'c' }, { name: 'c' }],
    });
    expect(r.response.responses.map((x) => [x.name, x.errorCode])).toEqual([
      ['a', 'NONE'],
      ['b', 'NONE'],
      ['nope', 'UNKNOWN_TOPIC_OR_PARTITION'],
      [null, 'UNKNOWN_TOPIC_ID'],
      ['c', 'INVALID_REQUEST'],
      ['c', 'INVALID_REQUEST'],
    ]);
    expect(r.response.responses[0]!.topicId).toBe(a);
    expect(r.records).toEqual([
      { apiKey: ApiKey.RemoveTopic, topicId: a },
      { apiKey: ApiKey.RemoveTopic, topicId: b },
    ]);
    const image = q.controller.image;
    expect(image.topic('a')).toBeUndefined();
    expect(image.topic('c')).toBeDefined();
    expect(image.configs(ConfigResourceType.Topic, 'a').size).toBe(0);
    // A deleted name can be created again, with a new id.
    expect(q.createTopic({ name: 'a' })).not.toBe(a);
    q.expectStandbyAgrees();
  });
});

describe('CreatePartitions', () => {
  it('adds partitions with the topic replication factor, continuing the placement', () => {
    const q = new Quorum();
    q.brokers(1, 2, 3);
    q.createTopic({ name: 't', numPartitions: 2, replicationFactor: 2 });
    const r = q.handle({ type: 'CreatePartitions', topics: [{ name: 't', count: 5 }] });
    expect(r.response.results).toEqual([{ name: 't', errorCode: 'NONE', errorMessage: null }]);
    expect(r.records.map((x) => [x.apiKey, 'partitionId' in x ? x.partitionId : -1])).toEqual([
      [ApiKey.Partition, 2],
      [ApiKey.Partition, 3],
      [ApiKey.Partition, 4],
    ]);
    const parts = q.controller.image.topic('t')!.partitions;
    expect(parts.length).toBe(5);
    for (const p of parts) expect(p.replicas.length).toBe(2);
    q.expectStandbyAgrees();
  });

  it('takes explicit assignments for the new partitions', () => {
    const q = new Quorum();
    q.brokers(1, 2, 3);
    q.createTopic({ name: 't', numPartitions: 1, replicationFactor: 2 });
    const r = q.handle({ type: 'CreatePartitions', topics: [{ name: 't', count: 2, assignments: [[3, 1]] }] });
    expect(r.response.results[0]!.errorCode).toBe('NONE');
    expect(q.partition('t', 1)).toMatchObject({ replicas: [3, 1], leader: 3 });
  });

  it('rejects counts that do not grow, unknown topics and bad assignments', () => {
    const q = new Quorum({ numPartitionsMax: 10 });
    q.brokers(1, 2);
    q.createTopic({ name: 't', numPartitions: 3, replicationFactor: 2 });
    const err = (topics: { name: string; count: number; assignments?: number[][] }[]) =>
      q.handle({ type: 'CreatePartitions', topics }).response.results.map((r) => r.errorCode);
    expect(err([{ name: 't', count: 3 }])).toEqual(['INVALID_PARTITIONS']);
    expect(err([{ name: 't', count: 2 }])).toEqual(['INVALID_PARTITIONS']);
    expect(err([{ name: 't', count: 11 }])).toEqual(['INVALID_PARTITIONS']);
    expect(err([{ name: 'nope', count: 4 }])).toEqual(['UNKNOWN_TOPIC_OR_PARTITION']);
    expect(err([{ name: 't', count: 5, assignments: [[1, 2]] }])).toEqual(['INVALID_REPLICA_ASSIGNMENT']);
    expect(err([{ name: 't', count: 4, assignments: [[1]] }])).toEqual(['INVALID_REPLICA_ASSIGNMENT']);
    expect(err([{ name: 't', count: 4, assignments: [[1, 7]] }])).toEqual(['INVALID_REPLICA_ASSIGNMENT']);
    expect(err([{ name: 't', count: 4 }, { name: 't', count: 5 }])).toEqual(['INVALID_REQUEST', 'INVALID_REQUEST']);
    // Replication factor 2 needs 2 available brokers; fence one.
    q.heartbeat(2, { wantFence: true });
    expect(err([{ name: 't', count: 4 }])).toEqual(['INVALID_REPLICATION_FACTOR']);
    expect(q.controller.image.topic('t')!.partitions.length).toBe(3);
  });

  it('validateOnly writes nothing', () => {
    const q = new Quorum();
    q.brokers(1);
    q.createTopic({ name: 't' });
    const r = q.handle({ type: 'CreatePartitions', topics: [{ name: 't', count: 4 }], validateOnly: true });
    expect(r.response.results[0]!.errorCode).toBe('NONE');
    expect(r.records).toEqual([]);
    expect(q.controller.image.topic('t')!.partitions.length).toBe(1);
  });
});

describe('IncrementalAlterConfigs and DescribeConfigs', () => {
  const alter = (q: Quorum, resourceType: ConfigResourceType, resourceName: string, configs: { name: string; configOperation: 'SET' | 'DELETE' | 'APPEND' | 'SUBTRACT'; value: string | null }[], validateOnly = false) =>
    q.handle({ type: 'IncrementalAlterConfigs', resources: [{ resourceType, resourceName, configs }], validateOnly });
  const T = ConfigResourceType.Topic;
  const B = ConfigResourceType.Broker;

  it('sets, deletes, appends to and subtracts from configs', () => {
    const q = new Quorum();
    q.brokers(1);
    q.createTopic({ name: 't' });
    let r = alter(q, T, 't', [
      { name: 'retention.ms', configOperation: 'SET', value: '60000' },
      { name: 'cleanup.policy', configOperation: 'APPEND', value: 'compact' },
    ]);
    expect(r.response.responses).toEqual([{ resourceType: T, resourceName: 't', errorCode: 'NONE', errorMessage: null }]);
    const configs = () => q.controller.image.configs(T, 't');
    expect(configs().get('retention.ms')).toBe('60000');
    expect(configs().get('cleanup.policy')).toBe('delete,compact'); // appended to the default
    r = alter(q, T, 't', [
      { name: 'retention.ms', configOperation: 'DELETE', value: null },
      { name: 'cleanup.policy', configOperation: 'SUBTRACT', value: 'delete' },
    ]);
    expect(r.response.responses[0]!.errorCode).toBe('NONE');
    expect(configs().has('retention.ms')).toBe(false);
    expect(configs().get('cleanup.policy')).toBe('compact');
    // Setting a value to what it is, or deleting what is not set, writes nothing.
    expect(alter(q, T, 't', [{ name: 'cleanup.policy', configOperation: 'SET', value: 'compact' }]).records).toEqual([]);
    expect(alter(q, T, 't', [{ name: 'retention.ms', configOperation: 'DELETE', value: null }]).records).toEqual([]);
    q.expectStandbyAgrees();
  });

  it('rejects invalid changes with the resource error code, and changes nothing of that resource', () => {
    const q = new Quorum();
    q.brokers(1);
    q.createTopic({ name: 't' });
    const code = (resourceType: ConfigResourceType, name: string, configs: Parameters<typeof alter>[3]) => alter(q, resourceType, name, configs).response.responses[0]!.errorCode;
    expect(code(T, 'nope', [{ name: 'retention.ms', configOperation: 'SET', value: '1' }])).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    expect(code(T, 't', [{ name: 'retention.ms', configOperation: 'SET', value: '1' }, { name: 'bogus', configOperation: 'SET', value: '1' }])).toBe('INVALID_CONFIG');
    expect(code(T, 't', [{ name: 'retention.ms', configOperation: 'SET', value: '-5' }])).toBe('INVALID_CONFIG');
    expect(code(T, 't', [{ name: 'segment.bytes', configOperation: 'SET', value: '99999999999' }])).toBe('INVALID_CONFIG');
    expect(code(T, 't', [{ name: 'preallocate', configOperation: 'SET', value: 'yes' }])).toBe('INVALID_CONFIG');
    expect(code(T, 't', [{ name: 'min.cleanable.dirty.ratio', configOperation: 'SET', value: '1.5' }])).toBe('INVALID_CONFIG');
    expect(code(T, 't', [{ name: 'retention.ms', configOperation: 'SET', value: null }])).toBe('INVALID_CONFIG');
    expect(code(T, 't', [{ name: 'retention.ms', configOperation: 'APPEND', value: '1' }])).toBe('INVALID_CONFIG');
    expect(code(T, 't', [{ name: 'cleanup.policy', configOperation: 'SUBTRACT', value: 'delete' }])).toBe('INVALID_CONFIG'); // would be empty
    expect(code(T, 't', [{ name: 'retention.ms', configOperation: 'SET', value: '1' }, { name: 'retention.ms', configOperation: 'DELETE', value: null }])).toBe('INVALID_REQUEST');
    expect(code(B, 'x', [{ name: 'log.retention.ms', configOperation: 'SET', value: '1' }])).toBe('INVALID_REQUEST');
    expect(code(B, '', [{ name: 'retention.ms', configOperation: 'SET', value: '1' }])).toBe('INVALID_CONFIG'); // a topic name, not a broker one
    expect(q.controller.image.configs(T, 't').size).toBe(0);
    const twice = q.handle({
      type: 'IncrementalAlterConfigs',
      resources: [
        { resourceType: T, resourceName: 't', configs: [] },
        { resourceType: T, resourceName: 't', configs: [] },
      ],
    });
    expect(twice.response.responses.map((r) => r.errorCode)).toEqual(['INVALID_REQUEST', 'INVALID_REQUEST']);
    const dry = alter(q, T, 't', [{ name: 'retention.ms', configOperation: 'SET', value: '7' }], true);
    expect(dry.response.responses[0]!.errorCode).toBe('NONE');
    expect(dry.records).toEqual([]);
  });

  it('describes effective values with their source, from the committed image, on any controller', () => {
    const q = new Quorum();
    q.brokers(1);
    q.createTopic({ name: 't', configs: [{ name: 'retention.ms', value: '123' }] });
    alter(q, B, '', [{ name: 'log.segment.bytes', configOperation: 'SET', value: '1048576' }]);
    alter(q, B, '1', [{ name: 'log.retention.bytes', configOperation: 'SET', value: '99' }]);
    const r = q.handle({
      type: 'DescribeConfigs',
      resources: [
        { resourceType: T, resourceName: 't', configurationKeys: ['retention.ms', 'segment.bytes', 'cleanup.policy', 'not.a.config'] },
        { resourceType: T, resourceName: 'nope' },
        { resourceType: B, resourceName: '1', configurationKeys: ['log.retention.bytes', 'log.segment.bytes'] },
      ],
    });
    expect(r.records).toEqual([]);
    const [topic, missing, broker] = r.response.results;
    expect(topic!.configs.map((c) => [c.name, c.value, c.source, c.isDefault])).toEqual([
      ['cleanup.policy', 'delete', 'DEFAULT_CONFIG', true],
      ['retention.ms', '123', 'TOPIC_CONFIG', false],
      ['segment.bytes', '1048576', 'DYNAMIC_DEFAULT_BROKER_CONFIG', false],
    ]);
    expect(missing!.errorCode).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    expect(broker!.configs.map((c) => [c.name, c.value, c.source])).toEqual([
      ['log.retention.bytes', '99', 'DYNAMIC_BROKER_CONFIG'],
      ['log.segment.bytes', '1048576', 'DYNAMIC_DEFAULT_BROKER_CONFIG'],
    ]);
    const all = q.handle({ type: 'DescribeConfigs', resources: [{ resourceType: T, resourceName: 't' }] });
    expect(all.response.results[0]!.configs.length).toBeGreaterThan(20);
    // A standby controller serves it too.
    const standby = new Controller({ rng: new Rng(5) });
    for (const { record, offset } of q.committed) standby.replay(record, offset);
    const fromStandby = standby.handle({ type: 'DescribeConfigs', resources: [{ resourceType: T, resourceName: 't', configurationKeys: ['retention.ms'] }] }, 0);
    expect(fromStandby.response.results[0]!.configs[0]!.value).toBe('123');
  });
});

describe('brokers: registration, heartbeats and fencing', () => {
  it('registers a broker fenced, with its record offset as epoch, and unfences it once it has replayed that record', () => {
    const q = new Quorum();
    q.brokers(1);
    const epoch = q.register(2);
    expect(epoch).toBe(q.committed.at(-1)!.offset);
    expect(q.committed.at(-1)!.record).toMatchObject({ apiKey: ApiKey.RegisterBroker, brokerId: 2, brokerEpoch: epoch, fenced: true });
    expect(q.controller.image.broker(2)!.fenced).toBe(true);
    const behind = q.heartbeat(2, { offset: epoch - 1 });
    expect(behind.response).toMatchObject({ errorCode: 'NONE', isCaughtUp: false, isFenced: true });
    expect(behind.records).toEqual([]);
    const caughtUp = q.heartbeat(2, { offset: epoch });
    expect(caughtUp.response).toMatchObject({ errorCode: 'NONE', isCaughtUp: true, isFenced: false, shouldShutDown: false });
    expect(caughtUp.records).toEqual([{ apiKey: ApiKey.UnfenceBroker, brokerId: 2, brokerEpoch: epoch }]);
    expect(q.controller.image.broker(2)!.fenced).toBe(false);
    // Further heartbeats change nothing.
    expect(q.heartbeat(2).records).toEqual([]);
    q.expectStandbyAgrees();
  });

  it('does not unfence twice while the first UnfenceBroker is uncommitted', () => {
    const q = new Quorum();
    const epoch = q.register(1);
    q.hold = true;
    expect(q.heartbeat(1, { offset: epoch }).records.length).toBe(1);
    expect(q.heartbeat(1, { offset: epoch }).records.length).toBe(0);
    q.commit();
    q.expectStandbyAgrees();
  });

  it('rejects heartbeats with a stale or unknown epoch', () => {
    const q = new Quorum();
    q.brokers(1);
    const r = q.handle({ type: 'BrokerHeartbeat', brokerId: 1, brokerEpoch: 12345, currentMetadataOffset: 0 });
    expect(r.response.errorCode).toBe('STALE_BROKER_EPOCH');
    expect(q.handle({ type: 'BrokerHeartbeat', brokerId: 9, brokerEpoch: 0, currentMetadataOffset: 0 }).response.errorCode).toBe('STALE_BROKER_EPOCH');
    expect(q.handle({ type: 'BrokerHeartbeat', brokerId: 1, brokerEpoch: q.epochs.get(1)!, currentMetadataOffset: 0.5 }).response.errorCode).toBe('INVALID_REQUEST');
  });

  it('rejects invalid registrations', () => {
    const q = new Quorum({ clusterId: 'abc' });
    const id = randomUuid(new Rng(8));
    const reg = (extra: object) => q.handle({ type: 'BrokerRegistration', brokerId: 1, incarnationId: id, ...extra }).response.errorCode;
    expect(reg({ brokerId: -1 })).toBe('INVALID_REGISTRATION');
    expect(reg({ incarnationId: 'not-a-uuid' })).toBe('INVALID_REGISTRATION');
    expect(reg({ incarnationId: zeroUuid })).toBe('INVALID_REGISTRATION');
    expect(reg({ listeners: [{ name: 'A', host: 'h', port: 70000, securityProtocol: 0 }] })).toBe('INVALID_REGISTRATION');
    expect(reg({ listeners: [{ name: 'A', host: 'h', port: 1, securityProtocol: 0 }, { name: 'A', host: 'h', port: 2, securityProtocol: 0 }] })).toBe('INVALID_REGISTRATION');
    expect(reg({ clusterId: 'xyz' })).toBe('INCONSISTENT_CLUSTER_ID');
    expect(reg({ clusterId: 'abc' })).toBe('NONE');
  });

  it('a new incarnation is refused while the old session lives, then replaces it and leaves its ISRs', () => {
    const q = new Quorum();
    q.brokers(1, 2);
    q.createTopic({ name: 't', numPartitions: 2, replicationFactor: 2 });
    const old = q.epochs.get(1)!;
    const newcomer = randomUuid(new Rng(77));
    const dup = q.handle({ type: 'BrokerRegistration', brokerId: 1, incarnationId: newcomer });
    expect(dup.response).toEqual({ errorCode: 'DUPLICATE_BROKER_REGISTRATION', errorMessage: expect.any(String), brokerEpoch: -1 });
    expect(dup.records).toEqual([]);
    q.now += 9000; // the old incarnation's session expires (broker 2 keeps heartbeating)
    q.heartbeat(2);
    const r = q.handle({ type: 'BrokerRegistration', brokerId: 1, incarnationId: newcomer });
    expect(r.response.errorCode).toBe('NONE');
    expect(r.response.brokerEpoch).toBeGreaterThan(old);
    const b = q.controller.image.broker(1)!;
    expect(b).toMatchObject({ incarnationId: newcomer, epoch: r.response.brokerEpoch, fenced: true });
    for (const p of q.controller.image.topic('t')!.partitions) {
      expect(p.isr).toEqual([2]);
      expect(p.leader).toBe(2);
    }
    q.expectStandbyAgrees();
  });

  it('the same incarnation registering again (a lost response) gets a new epoch', () => {
    const q = new Quorum();
    const id = randomUuid(new Rng(4));
    const a = q.register(1, id);
    const b = q.register(1, id);
    expect(b).toBeGreaterThan(a);
    expect(q.handle({ type: 'BrokerHeartbeat', brokerId: 1, brokerEpoch: a, currentMetadataOffset: b }).response.errorCode).toBe('STALE_BROKER_EPOCH');
  });

  it('fences a broker whose heartbeats stop, moves its leaderships and shrinks ISRs, then unfences it on return', () => {
    const q = new Quorum({ brokerSessionTimeoutMs: 9000 });
    q.brokers(1, 2, 3);
    q.createTopic({ name: 't', assignments: [{ partitionIndex: 0, brokerIds: [1, 2] }, { partitionIndex: 1, brokerIds: [2, 1] }, { partitionIndex: 2, brokerIds: [2, 3] }] });
    const beat = (...ids: number[]) => ids.forEach((id) => expect(q.heartbeat(id).response.errorCode).toBe('NONE'));
    for (let t = 2000; t <= 8000; t += 2000) {
      q.now = t;
      beat(2, 3); // broker 1 has gone silent since t = 0
      expect(q.tick().records).toEqual([]);
    }
    q.now = 8999;
    expect(q.tick().records).toEqual([]);
    q.now = 9000;
    const r = q.tick();
    expect(r.response.fencedBrokers).toEqual([1]);
    expect(r.records.at(-1)).toEqual({ apiKey: ApiKey.FenceBroker, brokerId: 1, brokerEpoch: q.epochs.get(1) });
    expect(r.records.filter((x) => x.apiKey === ApiKey.PartitionChange).length).toBe(2);
    expect(q.controller.image.broker(1)!.fenced).toBe(true);
    expect(q.partition('t', 0)).toMatchObject({ isr: [2], leader: 2, leaderEpoch: 1, partitionEpoch: 1 });
    expect(q.partition('t', 1)).toMatchObject({ isr: [2], leader: 2, leaderEpoch: 0, partitionEpoch: 1 }); // leader kept
    expect(q.partition('t', 2)).toMatchObject({ isr: [2, 3], leader: 2, leaderEpoch: 0, partitionEpoch: 0 }); // untouched
    expect(q.tick().records).toEqual([]); // fenced once

    // Broker 1 returns: it heartbeats with its old epoch, caught up, and is unfenced. It
    // rejoins ISRs only when a leader says so (AlterPartition), and leadership does not
    // move back to it by itself.
    q.now = 12_000;
    const back = q.heartbeat(1);
    expect(back.response).toMatchObject({ errorCode: 'NONE', isFenced: false });
    expect(back.records).toEqual([{ apiKey: ApiKey.UnfenceBroker, brokerId: 1, brokerEpoch: q.epochs.get(1) }]);
    expect(q.partition('t', 0)).toMatchObject({ isr: [2], leader: 2 });
    q.expectStandbyAgrees();
  });

  it('a fenced last ISR member keeps its place and leaves the partition leaderless until it returns', () => {
    const q = new Quorum();
    q.brokers(1, 2);
    q.createTopic({ name: 't', assignments: [{ partitionIndex: 0, brokerIds: [2] }] });
    q.now = 10_000;
    q.heartbeat(1);
    expect(q.tick().response.fencedBrokers).toEqual([2]);
    expect(q.partition('t', 0)).toMatchObject({ isr: [2], leader: -1, leaderEpoch: 1 });
    q.heartbeat(2);
    expect(q.controller.image.broker(2)!.fenced).toBe(false);
    expect(q.partition('t', 0)).toMatchObject({ isr: [2], leader: 2, leaderEpoch: 2 });
    q.expectStandbyAgrees();
  });

  it('unclean election off: the partition waits for its last ISR member; on: another live replica leads', () => {
    for (const unclean of [false, true]) {
      const q = new Quorum();
      q.brokers(1, 2);
      q.createTopic({
        name: 't',
        assignments: [{ partitionIndex: 0, brokerIds: [1, 2] }],
        configs: unclean ? [{ name: 'unclean.leader.election.enable', value: 'true' }] : [],
      });
      // Broker 2 falls out of the ISR (its leader says so), then broker 1, the last ISR member, dies.
      const p = q.partition('t', 0);
      const shrink = q.handle({
        type: 'AlterPartition',
        brokerId: 1,
        brokerEpoch: q.epochs.get(1)!,
        topics: [{ topicId: q.controller.image.topicIdOf('t')!, partitions: [{ partitionIndex: 0, leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch, newIsr: [1] }] }],
      });
      expect(shrink.response.topics[0]!.partitions[0]!.errorCode).toBe('NONE');
      q.now = 10_000;
      q.heartbeat(2);
      expect(q.tick().response.fencedBrokers).toEqual([1]);
      if (unclean) expect(q.partition('t', 0)).toMatchObject({ isr: [2], leader: 2 });
      else expect(q.partition('t', 0)).toMatchObject({ isr: [1], leader: -1 });
      q.expectStandbyAgrees();
    }
  });

  it('enabling unclean election elects a leader for partitions already leaderless', () => {
    const q = new Quorum();
    q.brokers(1, 2);
    q.createTopic({ name: 't', assignments: [{ partitionIndex: 0, brokerIds: [1, 2] }] });
    const p = q.partition('t', 0);
    q.handle({
      type: 'AlterPartition',
      brokerId: 1,
      brokerEpoch: q.epochs.get(1)!,
      topics: [{ topicId: q.controller.image.topicIdOf('t')!, partitions: [{ partitionIndex: 0, leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch, newIsr: [1] }] }],
    });
    q.heartbeat(1, { wantFence: true });
    expect(q.partition('t', 0)).toMatchObject({ isr: [1], leader: -1 });
    const r = q.handle({
      type: 'IncrementalAlterConfigs',
      resources: [{ resourceType: ConfigResourceType.Broker, resourceName: '', configs: [{ name: 'unclean.leader.election.enable', configOperation: 'SET', value: 'true' }] }],
    });
    expect(r.records.map((x) => x.apiKey)).toEqual([ApiKey.Config, ApiKey.PartitionChange]);
    expect(q.partition('t', 0)).toMatchObject({ isr: [2], leader: 2 });
    q.expectStandbyAgrees();
  });

  it('wantShutDown hands over leaderships and lets the broker go; a fenced broker may go at once', () => {
    const q = new Quorum();
    q.brokers(1, 2);
    q.createTopic({ name: 't', assignments: [{ partitionIndex: 0, brokerIds: [1, 2] }] });
    const r = q.heartbeat(1, { wantShutDown: true });
    expect(r.response).toMatchObject({ isFenced: true, shouldShutDown: true });
    expect(q.partition('t', 0)).toMatchObject({ leader: 2, isr: [2] });
    const again = q.heartbeat(1, { wantShutDown: true });
    expect(again.records).toEqual([]);
    expect(again.response).toMatchObject({ isFenced: true, shouldShutDown: true });
    q.expectStandbyAgrees();
  });

  it('unregisters a broker; an unknown one is BROKER_ID_NOT_REGISTERED', () => {
    const q = new Quorum();
    q.brokers(1, 2);
    q.createTopic({ name: 't', assignments: [{ partitionIndex: 0, brokerIds: [1, 2] }] });
    const r = q.handle({ type: 'UnregisterBroker', brokerId: 1 });
    expect(r.response.errorCode).toBe('NONE');
    expect(r.records.at(-1)).toEqual({ apiKey: ApiKey.UnregisterBroker, brokerId: 1, brokerEpoch: q.epochs.get(1) });
    expect(q.controller.image.broker(1)).toBeUndefined();
    expect(q.partition('t', 0)).toMatchObject({ leader: 2, isr: [2], replicas: [1, 2] });
    expect(q.handle({ type: 'UnregisterBroker', brokerId: 1 }).response.errorCode).toBe('BROKER_ID_NOT_REGISTERED');
    q.expectStandbyAgrees();
  });
});

describe('AlterPartition', () => {
  function setup() {
    const q = new Quorum();
    q.brokers(1, 2, 3);
    const topicId = q.createTopic({ name: 't', assignments: [{ partitionIndex: 0, brokerIds: [1, 2, 3] }] });
    const alter = (fields: { brokerId?: number; brokerEpoch?: number; leaderEpoch?: number; partitionEpoch?: number; newIsr: number[]; topicId?: Uuid; partitionIndex?: number }) => {
      const p = q.partition('t', 0);
      const brokerId = fields.brokerId ?? 1;
      return q.handle({
        type: 'AlterPartition',
        brokerId,
        brokerEpoch: fields.brokerEpoch ?? q.epochs.get(brokerId)!,
        topics: [
          {
            topicId: fields.topicId ?? topicId,
            partitions: [{ partitionIndex: fields.partitionIndex ?? 0, leaderEpoch: fields.leaderEpoch ?? p.leaderEpoch, partitionEpoch: fields.partitionEpoch ?? p.partitionEpoch, newIsr: fields.newIsr }],
          },
        ],
      });
    };
    return { q, alter, topicId };
  }

  it('shrinks and expands the ISR, bumping the partition epoch and not the leader epoch', () => {
    const { q, alter } = setup();
    let r = alter({ newIsr: [1, 3] });
    expect(r.response.errorCode).toBe('NONE');
    expect(r.response.topics[0]!.partitions[0]).toEqual({ partitionIndex: 0, errorCode: 'NONE', errorMessage: null, leaderId: 1, leaderEpoch: 0, isr: [1, 3], partitionEpoch: 1 });
    r = alter({ newIsr: [1, 3, 2] });
    expect(q.partition('t', 0)).toMatchObject({ isr: [1, 3, 2], leaderEpoch: 0, partitionEpoch: 2 });
    // Proposing the ISR it already has changes nothing.
    expect(alter({ newIsr: [1, 3, 2] }).records).toEqual([]);
    q.expectStandbyAgrees();
  });

  it('fences stale proposals and rejects invalid ones with Kafka error codes', () => {
    const { q, alter, topicId } = setup();
    const code = (r: ReturnType<typeof alter>) => r.response.topics[0]?.partitions[0]?.errorCode ?? r.response.errorCode;
    alter({ newIsr: [1, 2] }); // partition epoch 1
    expect(code(alter({ newIsr: [1], partitionEpoch: 0 }))).toBe('INVALID_UPDATE_VERSION');
    // A leader change (preferred-leader election after broker 1 is fenced and back) makes broker 1's epoch stale.
    q.heartbeat(1, { wantFence: true });
    expect(q.partition('t', 0).leader).toBe(2);
    expect(code(alter({ brokerId: 1, newIsr: [1, 2], leaderEpoch: 0 }))).toBe('FENCED_LEADER_EPOCH');
    expect(code(alter({ brokerId: 2, newIsr: [2], leaderEpoch: 5 }))).toBe('NOT_CONTROLLER');
    expect(code(alter({ brokerId: 3, newIsr: [3] }))).toBe('INVALID_REQUEST'); // not the leader
    expect(code(alter({ brokerId: 2, newIsr: [] }))).toBe('INVALID_REQUEST');
    expect(code(alter({ brokerId: 2, newIsr: [2, 2] }))).toBe('INVALID_REQUEST');
    expect(code(alter({ brokerId: 2, newIsr: [3] }))).toBe('INVALID_REQUEST'); // leader not in the ISR
    expect(code(alter({ brokerId: 2, newIsr: [2, 4] }))).toBe('INVALID_REQUEST'); // not a replica
    expect(code(alter({ brokerId: 2, newIsr: [2, 1] }))).toBe('INELIGIBLE_REPLICA'); // broker 1 is fenced
    expect(code(alter({ brokerId: 2, brokerEpoch: 999, newIsr: [2] }))).toBe('STALE_BROKER_EPOCH');
    expect(code(alter({ brokerId: 2, newIsr: [2], topicId: randomUuid(new Rng(12)) }))).toBe('UNKNOWN_TOPIC_ID');
    expect(code(alter({ brokerId: 2, newIsr: [2], partitionIndex: 5 }))).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    expect(q.controller.image.topicById(topicId)!.partitions[0]!.isr).toEqual([2]);
    q.expectStandbyAgrees();
  });
});

describe('ElectLeaders', () => {
  it('moves leadership back to the preferred replica when it is in the ISR', () => {
    const q = new Quorum();
    q.brokers(1, 2);
    const topicId = q.createTopic({ name: 't', assignments: [{ partitionIndex: 0, brokerIds: [1, 2] }, { partitionIndex: 1, brokerIds: [2, 1] }] });
    q.heartbeat(1, { wantFence: true });
    q.heartbeat(1); // unfenced again, but not in the ISRs
    expect(q.partition('t', 0)).toMatchObject({ leader: 2, isr: [2] });
    const elect = (topicPartitions: { topic: string; partitions: number[] }[] | null) =>
      q.handle({ type: 'ElectLeaders', electionType: 'PREFERRED', topicPartitions }).response.replicaElectionResults;
    expect(elect([{ topic: 't', partitions: [0, 1, 7] }])).toEqual([
      {
        topic: 't',
        partitionResult: [
          { partitionId: 0, errorCode: 'PREFERRED_LEADER_NOT_AVAILABLE', errorMessage: expect.any(String) },
          { partitionId: 1, errorCode: 'ELECTION_NOT_NEEDED', errorMessage: expect.any(String) },
          { partitionId: 7, errorCode: 'UNKNOWN_TOPIC_OR_PARTITION', errorMessage: expect.any(String) },
        ],
      },
    ]);
    // The leader adds broker 1 back to the ISR; now the election can run.
    const p = q.partition('t', 0);
    q.handle({ type: 'AlterPartition', brokerId: 2, brokerEpoch: q.epochs.get(2)!, topics: [{ topicId, partitions: [{ partitionIndex: 0, leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch, newIsr: [2, 1] }] }] });
    // Electing everything reports only the partitions it tried.
    expect(elect(null)).toEqual([{ topic: 't', partitionResult: [{ partitionId: 0, errorCode: 'NONE', errorMessage: null }] }]);
    expect(q.partition('t', 0)).toMatchObject({ leader: 1, isr: [2, 1], leaderEpoch: p.leaderEpoch + 1 });
    expect(elect(null)).toEqual([]);
    expect(elect([{ topic: 'nope', partitions: [0] }])[0]!.partitionResult[0]!.errorCode).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    q.expectStandbyAgrees();
  });

  it('UNCLEAN elects any live replica for a leaderless partition', () => {
    const q = new Quorum();
    q.brokers(1, 2);
    const topicId = q.createTopic({ name: 't', assignments: [{ partitionIndex: 0, brokerIds: [1, 2] }] });
    const p = q.partition('t', 0);
    q.handle({ type: 'AlterPartition', brokerId: 1, brokerEpoch: q.epochs.get(1)!, topics: [{ topicId, partitions: [{ partitionIndex: 0, leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch, newIsr: [1] }] }] });
    const unclean = () => q.handle({ type: 'ElectLeaders', electionType: 'UNCLEAN', topicPartitions: [{ topic: 't', partitions: [0] }] }).response.replicaElectionResults[0]!.partitionResult[0]!.errorCode;
    expect(unclean()).toBe('ELECTION_NOT_NEEDED');
    q.heartbeat(1, { wantFence: true });
    expect(q.partition('t', 0).leader).toBe(-1);
    expect(unclean()).toBe('NONE');
    expect(q.partition('t', 0)).toMatchObject({ leader: 2, isr: [2] });
    q.heartbeat(2, { wantFence: true });
    expect(unclean()).toBe('ELIGIBLE_LEADERS_NOT_AVAILABLE');
    q.expectStandbyAgrees();
  });
});

describe('AllocateProducerIds', () => {
  it('hands out consecutive blocks, and refuses a stale broker epoch', () => {
    const q = new Quorum();
    q.brokers(1, 2);
    const alloc = (brokerId: number, brokerEpoch = q.epochs.get(brokerId)!) => q.handle({ type: 'AllocateProducerIds', brokerId, brokerEpoch }).response;
    expect(alloc(1)).toEqual({ errorCode: 'NONE', errorMessage: null, producerIdStart: 0, producerIdLen: producerIdBlockSize });
    expect(alloc(2)).toMatchObject({ producerIdStart: producerIdBlockSize });
    expect(alloc(1, 12345)).toMatchObject({ errorCode: 'STALE_BROKER_EPOCH', producerIdStart: -1 });
    expect(q.controller.image.nextProducerId).toBe(2 * producerIdBlockSize);
    q.expectStandbyAgrees();
  });
});

describe('activation, replay and leadership changes', () => {
  it('a controller that is not active answers NOT_CONTROLLER and writes nothing', () => {
    const c = new Controller({ rng: new Rng(1) });
    const r = c.handle({ type: 'CreateTopics', topics: [{ name: 't' }] }, 0);
    expect(r.records).toEqual([]);
    expect(r.response.topics[0]!.errorCode).toBe('NOT_CONTROLLER');
    expect(c.handle({ type: 'BrokerHeartbeat', brokerId: 1, brokerEpoch: 0, currentMetadataOffset: 0 }, 0).response.errorCode).toBe('NOT_CONTROLLER');
    expect(c.tick(100_000).records).toEqual([]);
  });

  it('deactivate drops uncommitted records; the new leader continues from the committed log', () => {
    const q = new Quorum();
    q.brokers(1);
    q.hold = true;
    q.createTopic({ name: 'lost' });
    expect(q.controller.speculativeImage.topic('lost')).toBeDefined();
    q.controller.deactivate();
    expect(q.controller.speculativeImage.topic('lost')).toBeUndefined();
    expect(q.controller.uncommittedRecordCount).toBe(0);
    // The new leader truncated the uncommitted records and carries on at its log end.
    q.uncommitted.length = 0;
    q.logEnd = q.committed.at(-1)!.offset + 2; // one offset for the new leader's LeaderChange control record
    q.controller.activate(q.logEnd, q.now);
    q.hold = false;
    expect(topicError(q, { name: 'lost' })).toBe('NONE');
    q.expectStandbyAgrees();
  });

  it('gives every broker a fresh session on activation', () => {
    const q = new Quorum();
    q.brokers(1);
    q.controller.deactivate();
    q.now = 60_000; // long past broker 1's session, as the old controller saw it
    q.controller.activate(q.logEnd, q.now);
    expect(q.tick().records).toEqual([]);
    q.now = 69_000;
    expect(q.tick().response.fencedBrokers).toEqual([1]);
  });

  it('fails an assertion when the committed log is not what the active controller wrote', () => {
    const q = new Quorum();
    q.brokers(1);
    q.hold = true;
    q.createTopic({ name: 't' });
    const [first] = q.uncommitted;
    expect(() => q.controller.replay({ apiKey: ApiKey.NoOp }, first!.offset)).toThrow(AssertionError);
    expect(() => q.controller.replay(first!.record, first!.offset + 1)).toThrow(AssertionError);
    const other = new Quorum();
    expect(() => other.controller.replay({ apiKey: ApiKey.NoOp }, 0)).toThrow(AssertionError); // active, wrote nothing
  });

  it('writes a NoOp when the log has been idle for metadata.max.idle.interval.ms', () => {
    const q = new Quorum({ metadataMaxIdleIntervalMs: 500 });
    q.now = 499;
    expect(q.tick().records).toEqual([]);
    q.now = 500;
    expect(q.tick().records).toEqual([{ apiKey: ApiKey.NoOp }]);
    q.now = 700;
    expect(q.tick().records).toEqual([]);
  });

  it('refuses requests with REQUEST_TIMED_OUT while too many records wait to commit', () => {
    const q = new Quorum({ uncommittedRecordsMax: 3 });
    q.hold = true;
    q.register(1); // 1 record
    q.register(2); // 2
    q.register(3); // 3
    const r = q.handle({ type: 'BrokerRegistration', brokerId: 4, incarnationId: randomUuid(new Rng(2)) });
    expect(r.response.errorCode).toBe('REQUEST_TIMED_OUT');
    expect(r.records).toEqual([]);
    q.commit();
    q.register(4);
  });
});

describe('placeReplicas', () => {
  it('spreads leaders and replicas evenly and never repeats a broker in a partition', () => {
    const rng = new Rng(3);
    for (const n of [1, 2, 3, 5, 8]) {
      for (let rf = 1; rf <= Math.min(n, 3); rf++) {
        const brokers = Array.from({ length: n }, (_, i) => 10 + i);
        const parts = placeReplicas(brokers, 12 * n, rf, rng);
        const leads = new Map<number, number>();
        const hosts = new Map<number, number>();
        for (const r of parts) {
          expect(new Set(r).size).toBe(rf);
          leads.set(r[0]!, (leads.get(r[0]!) ?? 0) + 1);
          for (const b of r) hosts.set(b, (hosts.get(b) ?? 0) + 1);
        }
        expect([...leads.values()].every((c) => c === 12)).toBe(true);
        expect([...hosts.values()].every((c) => c === 12 * rf)).toBe(true);
      }
    }
  });
});
