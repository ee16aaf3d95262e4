import type { RecordHeader, TimestampType } from '../record/batch.js';
import { TributaryError, isTributaryError } from '../util/errors.js';
import { validateTopicName } from '../util/topic-name.js';
import type { ProducerHeader, ProducerRecord, RecordMetadata } from './accumulator.js';
import type { RecordMetadataList } from './record-metadata-list.js';
import type { Consumer, ConsumerRecord, SeekTarget } from './consumer.js';
import { resolveConsumerOptions, type ConsumerOptions } from './options.js';
import { checkOptions, custom, object, required, type OptionRules } from '../util/options.js';
import type { Producer } from './producer.js';
import { deserializeField, type Serde } from './serde.js';

/**
 * A serde, or a function that makes one (so `serdes.string` works as well as `serdes.string()`).
 *
 * @example
 * ```ts
 * import { Cluster, serdes, type SerdeLike } from 'tributary-log';
 *
 * const key: SerdeLike<string> = serdes.string; // the factory itself
 * const value: SerdeLike<{ total: number }> = serdes.json<{ total: number }>(); // or a serde
 * await using cluster = await Cluster.start();
 * await cluster.admin().createTopics([{ name: 'orders' }]);
 * await cluster.topic('orders', { key, value }).send({ key: 'user-42', value: { total: 9.5 } });
 * ```
 */
export type SerdeLike<T> = Serde<T> | (() => Serde<T>);

/**
 * The key and value serdes of a {@link Topic}.
 *
 * @example
 * ```ts
 * import { serdes, type TopicSerdes } from 'tributary-log';
 *
 * const s: TopicSerdes<string, { total: number }> = { key: serdes.string, value: serdes.json<{ total: number }>() };
 * console.log(typeof s.key); // function
 * ```
 */
export interface TopicSerdes<K, V> {
  readonly key: SerdeLike<K>;
  readonly value: SerdeLike<V>;
}

/**
 * Where a {@link Topic} gets its clients: one shared producer, and a new consumer per
 * `consume` call. A cluster hands these in; tests may pass their own.
 *
 * @example
 * ```ts
 * import { Consumer, Producer, type TopicClients, type Transport } from 'tributary-log';
 *
 * declare const transport: Transport;
 * const producer = new Producer(transport);
 * const clients: TopicClients = { producer: () => producer, consumer: (options) => new Consumer(transport, options) };
 * console.log(typeof clients.consumer); // function
 * ```
 */
export interface TopicClients {
  readonly producer: () => Producer;
  readonly consumer: (options?: ConsumerOptions) => Consumer;
}

/**
 * A record to send through a typed topic: the key and value are the topic's types.
 *
 * @example
 * ```ts
 * import type { TypedProducerRecord } from 'tributary-log';
 *
 * const r: TypedProducerRecord<string, { total: number }> = { key: 'user-42', value: { total: 9.5 } };
 * console.log(r.value?.total); // 9.5
 * ```
 */
export interface TypedProducerRecord<K, V> {
  /** The key, or null/absent for none (no key: the sticky partition). */
  readonly key?: K | null;
  /** The value, or null for a tombstone. */
  readonly value: V | null;
  readonly headers?: Readonly<Record<string, Uint8Array | string | null>> | readonly ProducerHeader[];
  readonly partition?: number;
  readonly timestamp?: number;
}

/**
 * A record read from a typed topic: key and value deserialized.
 *
 * @example
 * ```ts
 * import type { TypedConsumerRecord } from 'tributary-log';
 *
 * function total(r: TypedConsumerRecord<string, { total: number }>): number {
 *   return r.value?.total ?? 0;
 * }
 * console.log(typeof total); // function
 * ```
 */
export interface TypedConsumerRecord<K, V> {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly key: K | null;
  readonly value: V | null;
  readonly headers: readonly RecordHeader[];
  readonly leaderEpoch: number;
  /** `CreateTime` (the producer's timestamp) or `LogAppendTime` (the broker's), from the record's batch. */
  readonly timestampType: TimestampType;
}

/**
 * Options of {@link Topic.consume}.
 *
 * @example
 * ```ts
 * import type { ConsumeOptions } from 'tributary-log';
 *
 * const o: ConsumeOptions = { from: 'earliest', partitions: [0, 1] };
 * console.log(o.from); // earliest
 * ```
 */
export interface ConsumeOptions {
  /** Where to start in every partition read: an offset, `'earliest'`, `'latest'` (default, as Kafka) or `{ timestamp }`. */
  readonly from?: SeekTarget;
  /** The partitions to read; default all of the topic's. */
  readonly partitions?: readonly number[];
  /** Options of the consumer made for this call. */
  readonly consumer?: ConsumerOptions;
}

/**
 * The records of one `consume` call: iterate with `for await`; `close()` (or leaving the
 * loop) ends it and closes its consumer.
 *
 * @example
 * ```ts
 * import { Cluster, serdes, type TopicStream } from 'tributary-log';
 *
 * await using cluster = await Cluster.start();
 * await cluster.admin().createTopics([{ name: 'orders' }]);
 * const orders = cluster.topic('orders', { key: serdes.string, value: serdes.json<{ total: number }>() });
 * await orders.send([{ key: 'a', value: { total: 1 } }, { key: 'b', value: { total: 2 } }]);
 * const stream: TopicStream<string, { total: number }> = orders.consume({ from: 'earliest' });
 * let sum = 0;
 * for await (const order of stream) {
 *   sum += order.value?.total ?? 0;
 *   if (order.offset === 1) break; // leaving the loop closes the stream
 * }
 * console.log(sum); // 3
 * ```
 */
export interface TopicStream<K, V> extends AsyncIterable<TypedConsumerRecord<K, V>> {
  close(): Promise<void>;
  /** `await using stream = topic.consume()` closes it at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void>;
}

function resolveSerde<T>(s: SerdeLike<T>, what: string, topic: string): Serde<T> {
  const serde = typeof s === 'function' ? s() : s;
  if (typeof serde !== 'object' || serde === null || typeof serde.serialize !== 'function' || typeof serde.deserialize !== 'function') {
    throw new TributaryError('INVALID_ARGUMENT', `the ${what} serde of topic "${topic}" must have serialize and deserialize`, { topic, option: what });
  }
  return serde;
}

/**
 * A typed handle on one topic: records go in as `K` and `V` and come out as `K` and `V`,
 * through the topic's serdes. A serde that throws surfaces as a `TributaryError` naming the
 * topic (and the partition and offset, when reading).
 *
 * @example
 * ```ts
 * import { Consumer, Producer, Topic, serdes, type Transport } from 'tributary-log';
 *
 * interface Order { id: string; total: number }
 * declare const transport: Transport;
 * const producer = new Producer(transport);
 * const orders = new Topic('orders', { key: serdes.string, value: serdes.json<Order>() }, {
 *   producer: () => producer,
 *   consumer: (options) => new Consumer(transport, options),
 * });
 * await orders.send({ key: 'user-42', value: { id: 'o-1', total: 9.5 } });
 * for await (const order of orders.consume({ from: 'earliest' })) {
 *   console.log(order.key, order.value?.total);
 *   break;
 * }
 * ```
 */
const consumeRules: OptionRules = {
  from: custom("an offset, 'earliest', 'latest' or { timestamp }", (v) =>
    v === 'earliest' || v === 'latest' || (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) || (typeof v === 'object' && v !== null && Number.isSafeInteger((v as { timestamp?: unknown }).timestamp) && (v as { timestamp: number }).timestamp >= 0),
  ),
  partitions: custom('an array of partition numbers', (v) => Array.isArray(v) && v.every((p) => Number.isInteger(p) && p >= 0 && p <= 0x7fffffff)),
  consumer: object(),
};

export class Topic<K, V> {
  private readonly keySerde: Serde<K>;
  private readonly valueSerde: Serde<V>;

  constructor(
    readonly name: string,
    serdes: TopicSerdes<K, V>,
    private readonly clients: TopicClients,
  ) {
    validateTopicName(name);
    if (serdes === undefined || serdes === null) {
      throw new TributaryError('INVALID_CONFIG', `topic("${name}") needs the serdes of its keys and values, such as topic("${name}", { key: serdes.string, value: serdes.json() }) (serdes.bytes for raw bytes)`, { topic: name, option: 'serdes' });
    }
    checkOptions(serdes, { key: required(custom('a serde', () => true)), value: required(custom('a serde', () => true)) }, 'a topic serdes');
    this.keySerde = resolveSerde(serdes.key, 'key', name);
    this.valueSerde = resolveSerde(serdes.value, 'value', name);
  }

  /** Sends one record (or an array) to this topic; resolves with where each was written. */
  send(record: TypedProducerRecord<K, V>): Promise<RecordMetadata>;
  send(records: readonly TypedProducerRecord<K, V>[]): Promise<RecordMetadata[]>;
  send(input: TypedProducerRecord<K, V> | readonly TypedProducerRecord<K, V>[]): Promise<RecordMetadata | RecordMetadata[]> {
    try {
      if (Array.isArray(input)) {
        const list = input as readonly TypedProducerRecord<K, V>[];
        const out = new Array<ProducerRecord>(list.length);
        for (let i = 0; i < list.length; i++) out[i] = this.serialize(list[i]!, i);
        return this.clients.producer().send(this.name, out);
      }
      return this.clients.producer().send(this.name, this.serialize(input as TypedProducerRecord<K, V>, 0));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Sends an array of records to this topic; resolves with a compact `RecordMetadataList` (see `Producer.sendBatch`). */
  sendBatch(records: readonly TypedProducerRecord<K, V>[]): Promise<RecordMetadataList> {
    try {
      if (!Array.isArray(records)) throw new TributaryError('INVALID_RECORD', `sendBatch takes an array of records`, { topic: this.name, option: 'records' });
      const out = new Array<ProducerRecord>(records.length);
      for (let i = 0; i < records.length; i++) out[i] = this.serialize(records[i]!, i);
      return this.clients.producer().sendBatch(this.name, out);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Reads the topic (all partitions, or those given) from `from` on, with a consumer of its
   * own, as typed records.
   */
  consume(options: ConsumeOptions = {}): TopicStream<K, V> {
    checkOptions(options, consumeRules, 'a consume', { aliases: { form: 'from', fromBeginning: 'from', partition: 'partitions' } });
    if (options.consumer !== undefined) resolveConsumerOptions(options.consumer);
    let consumer: Consumer | undefined;
    let closed = false;
    const topic = this;
    async function* records(): AsyncGenerator<TypedConsumerRecord<K, V>, void, undefined> {
      if (closed) return;
      consumer = topic.clients.consumer(options.consumer);
      try {
        const all = await consumer.partitionsFor(topic.name);
        const partitions = options.partitions ?? all;
        const missing = partitions.find((p) => !all.includes(p));
        if (missing !== undefined) throw new TributaryError('UNKNOWN_TOPIC_OR_PARTITION', `topic "${topic.name}" has no partition ${missing} (it has ${all.length})`, { topic: topic.name, partition: missing });
        const tps = partitions.map((partition) => ({ topic: topic.name, partition }));
        consumer.assign(tps);
        const from = options.from ?? 'latest';
        await Promise.all(tps.map((tp) => consumer!.seek(tp, from)));
        for await (const r of consumer) yield topic.deserialize(r);
      } finally {
        await consumer.close();
      }
    }
    const generator = records();
    const close = async (): Promise<void> => {
      closed = true;
      await consumer?.close();
      await generator.return(undefined);
    };
    return { [Symbol.asyncIterator]: () => generator, close, [Symbol.asyncDispose]: close };
  }

  private serialize(r: TypedProducerRecord<K, V>, index: number): ProducerRecord {
    if (typeof r !== 'object' || r === null) throw new TributaryError('INVALID_RECORD', `topic "${this.name}": record ${index} must be an object`, { topic: this.name });
    const key = r.key === undefined || r.key === null ? null : this.apply(() => this.keySerde.serialize(r.key as K), 'serialize the key', index);
    const value = r.value === null ? null : this.apply(() => this.valueSerde.serialize(r.value as V), 'serialize the value', index);
    return { key, value, headers: r.headers, partition: r.partition, timestamp: r.timestamp };
  }

  private apply<T>(fn: () => T, what: string, index: number): T {
    try {
      return fn();
    } catch (err) {
      const code = isTributaryError(err) ? err.code : 'INVALID_RECORD';
      throw new TributaryError(code, `topic "${this.name}": cannot ${what} of record ${index}: ${(err as Error)?.message ?? String(err)}`, { topic: this.name, cause: err });
    }
  }

  private deserialize(r: ConsumerRecord): TypedConsumerRecord<K, V> {
    return {
      topic: r.topic,
      partition: r.partition,
      offset: r.offset,
      timestamp: r.timestamp,
      key: r.key === null ? null : deserializeField(this.keySerde, r.key, r, 'key'),
      value: r.value === null ? null : deserializeField(this.valueSerde, r.value, r, 'value'),
      headers: r.headers,
      leaderEpoch: r.leaderEpoch,
      timestampType: r.timestampType,
    };
  }
}
