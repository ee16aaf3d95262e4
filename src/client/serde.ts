import { TributaryError } from '../util/errors.js';

/**
 * Turns values of type `T` into bytes and back. A `Topic<K, V>` holds one for its keys
 * and one for its values, so `send` and reads are typed end to end. Any object with
 * these two methods is a serde; `serdes` has the built-in ones.
 *
 * @example
 * ```ts
 * import { Cluster, TributaryError, serdes, type Serde } from 'tributary-log';
 *
 * // Dates as ISO-8601 text.
 * const isoDate: Serde<Date> = {
 *   serialize: (d) => new TextEncoder().encode(d.toISOString()),
 *   deserialize: (bytes) => {
 *     const d = new Date(new TextDecoder().decode(bytes));
 *     if (Number.isNaN(d.getTime())) throw new TributaryError('CORRUPT_MESSAGE', 'not an ISO-8601 date');
 *     return d;
 *   },
 * };
 * await using cluster = await Cluster.start();
 * await cluster.admin().createTopics([{ name: 'logins' }]);
 * const logins = cluster.topic('logins', { key: serdes.string, value: isoDate });
 * await logins.send({ key: 'user-42', value: new Date() });
 * ```
 */
export interface Serde<T> {
  /** The bytes for a value. Throws a `TributaryError` for a value it cannot encode. */
  serialize(value: T): Uint8Array;
  /** The value for some bytes. Throws `CORRUPT_MESSAGE` for bytes it cannot decode. */
  deserialize(bytes: Uint8Array): T;
}

const encoder = new TextEncoder();

/** Bytes a serde is given to decode must be bytes: anything else is the caller's mistake, not corrupt data. */
function checkBytes(b: unknown): asserts b is Uint8Array {
  if (!(b instanceof Uint8Array)) throw new TributaryError('INVALID_ARGUMENT', `deserialize takes bytes (a Uint8Array), got ${b === null ? 'null' : typeof b}`, { option: 'bytes' });
}
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * The built-in serdes.
 *
 * @example
 * ```ts
 * import { serdes } from 'tributary-log';
 *
 * interface Order { id: string; total: number }
 * const orders = serdes.json<Order>();
 * const bytes = orders.serialize({ id: 'o-1', total: 9.5 });
 * console.log(orders.deserialize(bytes).total); // 9.5
 * ```
 */
export const serdes = {
  /** Raw bytes, passed through. */
  bytes(): Serde<Uint8Array> {
    return {
      serialize: (v) => {
        if (!(v instanceof Uint8Array)) throw new TributaryError('INVALID_RECORD', `the bytes serde takes a Uint8Array, got ${v === null ? 'null' : typeof v}`);
        return v;
      },
      deserialize: (b) => {
        checkBytes(b);
        return b;
      },
    };
  },
  /** UTF-8 text. Invalid UTF-8 on the way in raises `CORRUPT_MESSAGE`. */
  string(): Serde<string> {
    return {
      serialize: (v) => {
        if (typeof v !== 'string') throw new TributaryError('INVALID_RECORD', `the string serde takes a string, got ${v === null ? 'null' : typeof v}`);
        return encoder.encode(v);
      },
      deserialize: (b) => {
        checkBytes(b);
        try {
          return decoder.decode(b);
        } catch (cause) {
          throw new TributaryError('CORRUPT_MESSAGE', 'value is not valid UTF-8', { cause });
        }
      },
    };
  },
  /** JSON as UTF-8. A value JSON cannot represent raises `INVALID_RECORD`; bytes that are not JSON raise `CORRUPT_MESSAGE`. */
  json<T>(): Serde<T> {
    return {
      serialize: (v) => {
        let text: string | undefined;
        try {
          text = JSON.stringify(v);
        } catch (cause) {
          throw new TributaryError('INVALID_RECORD', `value cannot be serialized as JSON: ${String((cause as Error).message)}`, { cause });
        }
        if (text === undefined) throw new TributaryError('INVALID_RECORD', `value of type ${typeof v} has no JSON form`);
        return encoder.encode(text);
      },
      deserialize: (b) => {
        checkBytes(b);
        try {
          return JSON.parse(decoder.decode(b)) as T;
        } catch (cause) {
          throw new TributaryError('CORRUPT_MESSAGE', 'value is not valid UTF-8 JSON', { cause });
        }
      },
    };
  },
} as const;

/**
 * `serde.deserialize(bytes)` for the key or value of the record at `r`; a serde that
 * throws becomes CORRUPT_MESSAGE naming the topic, partition and offset (and keeping the
 * serde's error as `cause`), wherever typed records are handed out (`Topic.consume`, a
 * consumer group with serdes).
 * @internal
 */
export function deserializeField<T>(serde: Serde<T>, bytes: Uint8Array, r: { readonly topic: string; readonly partition: number; readonly offset: number }, what: 'key' | 'value'): T {
  try {
    return serde.deserialize(bytes);
  } catch (err) {
    throw new TributaryError('CORRUPT_MESSAGE', `topic "${r.topic}": cannot deserialize the ${what} at ${r.topic}-${r.partition}@${r.offset}: ${(err as Error)?.message ?? String(err)}`, {
      topic: r.topic,
      partition: r.partition,
      cause: err,
    });
  }
}
