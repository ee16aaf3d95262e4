import { describe, expect, it } from 'vitest';
import { FakeCluster } from '../../test/helpers/fake-broker.js';
import { Consumer } from './consumer.js';
import { consumerDefaults, producerDefaults, resolveConsumerOptions, resolveProducerOptions, type ConsumerOptions, type ProducerOptions } from './options.js';
import { Producer } from './producer.js';

type Bad<T> = readonly [keyof T & string, unknown][];

const badProducer: Bad<ProducerOptions> = [
  ['clientId', ''],
  ['clientId', 7],
  ['acks', 2],
  ['acks', 'one'],
  ['idempotent', 'yes'],
  ['batchSize', -1],
  ['batchSize', 1.5],
  ['batchSize', 2 * 1024 * 1024],
  ['lingerMs', -1],
  ['lingerMs', '5'],
  ['compression', 'brotli'],
  ['bufferMemory', 10],
  ['maxBlockMs', -1],
  ['maxRequestSize', 100],
  ['maxRequestSize', 64 * 1024 * 1024],
  ['deliveryTimeoutMs', 0],
  ['requestTimeoutMs', 0],
  ['retryBackoffMs', -1],
  ['retryBackoffMaxMs', -1],
  ['maxInFlight', 0],
  ['maxInFlight', 6],
  ['metadataMaxAgeMs', Number.NaN],
  ['partitioner', 'murmur2'],
  ['randomSeed', 0.5],
];

const badConsumer: Bad<ConsumerOptions> = [
  ['clientId', ''],
  ['maxWaitMs', -1],
  ['minBytes', -1],
  ['maxBytes', 0],
  ['maxPartitionBytes', 0],
  ['autoOffsetReset', 'smallest'],
  ['checkCrcs', 1],
  ['requestTimeoutMs', 0],
  ['retryBackoffMs', 1.5],
  ['retryBackoffMaxMs', -2],
  ['metadataMaxAgeMs', -1],
  ['allowAutoCreateTopics', 'yes'],
];

/** Resolved fields that are not options of their own (the metadata cache's setting, from `allowAutoCreateTopics`). */
const notOptions = new Set(['allowAutoTopicCreation']);

describe('producer options', () => {
  it('default to Kafka 3.x', () => {
    const o = resolveProducerOptions();
    expect(o).toMatchObject({ ...producerDefaults, acks: -1, idempotent: true });
    expect(o.batchSize).toBe(16384);
    expect(o.bufferMemory).toBe(32 * 1024 * 1024);
    expect(o.deliveryTimeoutMs).toBe(120_000);
    expect(resolveProducerOptions({ acks: 1 }).idempotent).toBe(false);
    expect(resolveProducerOptions({ acks: 'all' }).acks).toBe(-1);
  });

  it.each(badProducer)('rejects a bad %s (%j) with INVALID_CONFIG naming it', (option, value) => {
    const options = { [option]: value } as ProducerOptions;
    expect(() => resolveProducerOptions(options)).toThrowError(expect.objectContaining({ code: 'INVALID_CONFIG', option }));
    expect(() => new Producer(new FakeCluster(), options)).toThrowError(expect.objectContaining({ code: 'INVALID_CONFIG', option }));
  });

  it('covers every option with a bad value', () => {
    const covered = new Set(badProducer.map(([o]) => o));
    for (const name of Object.keys(resolveProducerOptions()).filter((n) => !notOptions.has(n))) expect(covered.has(name as keyof ProducerOptions), name).toBe(true);
  });

  it('says what was expected and what was given', () => {
    expect(() => resolveProducerOptions({ lingerMs: -1 })).toThrowError('lingerMs must be a non-negative integer, got -1');
  });

  it('applies Kafka’s cross-option rules', () => {
    expect(() => resolveProducerOptions({ idempotent: true, acks: 1 })).toThrowError(expect.objectContaining({ option: 'idempotent' }));
    expect(() => resolveProducerOptions({ maxInFlight: 10 })).toThrowError(expect.objectContaining({ option: 'maxInFlight' }));
    expect(resolveProducerOptions({ maxInFlight: 10, idempotent: false }).maxInFlight).toBe(10);
    expect(() => resolveProducerOptions({ deliveryTimeoutMs: 1000, requestTimeoutMs: 2000 })).toThrowError(expect.objectContaining({ option: 'deliveryTimeoutMs' }));
    expect(() => resolveProducerOptions({ retryBackoffMs: 500, retryBackoffMaxMs: 100 })).toThrowError(expect.objectContaining({ option: 'retryBackoffMaxMs' }));
    expect(() => resolveProducerOptions({ bufferMemory: 2048, maxRequestSize: 4096 })).toThrowError(expect.objectContaining({ option: 'maxRequestSize' }));
  });

  it('rejects unknown options, naming them', () => {
    expect(() => resolveProducerOptions({ linger: 5 } as unknown as ProducerOptions)).toThrowError(expect.objectContaining({ code: 'INVALID_CONFIG', option: 'linger' }));
  });
});

describe('consumer options', () => {
  it('default to Kafka’s', () => {
    expect(resolveConsumerOptions()).toMatchObject(consumerDefaults);
    expect(resolveConsumerOptions().maxWaitMs).toBe(500);
    expect(resolveConsumerOptions().autoOffsetReset).toBe('latest');
  });

  it.each(badConsumer)('rejects a bad %s (%j) with INVALID_CONFIG naming it', (option, value) => {
    const options = { [option]: value } as ConsumerOptions;
    expect(() => resolveConsumerOptions(options)).toThrowError(expect.objectContaining({ code: 'INVALID_CONFIG', option }));
    expect(() => new Consumer(new FakeCluster(), options)).toThrowError(expect.objectContaining({ code: 'INVALID_CONFIG', option }));
  });

  it('covers every option with a bad value', () => {
    const covered = new Set(badConsumer.map(([o]) => o));
    for (const name of Object.keys(resolveConsumerOptions()).filter((n) => !notOptions.has(n))) expect(covered.has(name as keyof ConsumerOptions), name).toBe(true);
  });

  it('rejects unknown options, naming them', () => {
    expect(() => resolveConsumerOptions({ groupId: 'g' } as unknown as ConsumerOptions)).toThrowError(expect.objectContaining({ option: 'groupId' }));
  });
});
