/**
 * The shape of a message description: Kafka's message definition language
 * (`clients/src/main/resources/common/message/*.json` in apache/kafka, read by its
 * `generator/` module), as typed TypeScript data.
 *
 * A description is transcribed from Kafka's JSON with four changes:
 * - names are camelCase (`TopicData` is `topicData`), as the in-process types name them;
 * - `validVersions` is the range Tributary speaks (a sub-range of Kafka's), and fields that
 *   exist in none of those versions are left out;
 * - a struct's fields are inlined (`type: '[]struct'` with `fields`), never named;
 * - three annotations tie a field to its in-process form: `map` (a number the wire carries
 *   and the in-process value names: error codes, config sources, config operations) and
 *   `as` (the in-process property, where it differs from Kafka's name).
 *
 * From one description `wire/plan.ts` compiles each version's encoder and decoder, and
 * `WireShape` below derives the TypeScript type of the message.
 * @internal
 */
import type { ErrorCode } from '../../util/error-codes.js';
import type { Uuid } from '../../util/uuid.js';

/** Kafka's primitive types, as they appear in a field's `type`. */
export type ScalarType = 'int8' | 'int16' | 'int32' | 'int64' | 'uint16' | 'float64' | 'bool' | 'string' | 'bytes' | 'records' | 'uuid';

/** A field's type: a primitive, an array of primitives, a struct, or an array of structs. */
export type FieldType = ScalarType | `[]${ScalarType}` | 'struct' | '[]struct';

/** A number the wire carries that the in-process value names. */
export type FieldMapping = 'error' | 'configSource' | 'configOperation';

/**
 * A version range as Kafka writes it: `'3+'` (3 and later), `'0-2'`, `'5'`, or `'none'`.
 * Ranges are inclusive.
 */
export type Versions = `${number}+` | `${number}-${number}` | `${number}` | 'none';

export interface FieldSpec {
  /** Kafka's name in camelCase. */
  readonly name: string;
  readonly type: FieldType;
  /** The versions that carry the field. */
  readonly versions: Versions;
  /** The versions in which the field may be null (strings, bytes, records, arrays). */
  readonly nullableVersions?: Versions;
  /** The versions in which the field is a tagged field (KIP-482), with its `tag`. */
  readonly taggedVersions?: Versions;
  readonly tag?: number;
  /**
   * The value a version without the field decodes to, and the value an encoder may drop
   * silently. Without one: 0, false, '', the zero Uuid, an empty array or empty bytes (as
   * Kafka's generator does).
   */
  readonly default?: number | string | boolean | null;
  /**
   * Whether an encoder for a version without the field may drop a non-default value. When
   * false, such a value is `UNSUPPORTED_VERSION` (the version cannot carry it).
   */
  readonly ignorable?: boolean;
  readonly map?: FieldMapping;
  /** The in-process property, when it differs from `name`. */
  readonly as?: string;
  /** The fields of a struct or of each array item. */
  readonly fields?: readonly FieldSpec[];
}

export interface MessageSpec {
  readonly apiKey: number;
  readonly type: 'request' | 'response';
  /** The versions Tributary encodes and decodes. */
  readonly validVersions: Versions;
  /** The first flexible version (`'9+'`), or `'none'`. */
  readonly flexibleVersions: Versions;
  readonly fields: readonly FieldSpec[];
}

/** The inclusive [low, high] bounds of a range; null for `'none'`. */
export function versionBounds(versions: Versions): readonly [number, number] | null {
  if (versions === 'none') return null;
  if (versions.endsWith('+')) return [Number(versions.slice(0, -1)), Number.POSITIVE_INFINITY];
  const dash = versions.indexOf('-');
  if (dash === -1) return [Number(versions), Number(versions)];
  return [Number(versions.slice(0, dash)), Number(versions.slice(dash + 1))];
}

/** Whether `version` is in `versions` (undefined is no version). */
export function inVersions(versions: Versions | undefined, version: number): boolean {
  if (versions === undefined) return false;
  const b = versionBounds(versions);
  return b !== null && version >= b[0] && version <= b[1];
}

// ---- The TypeScript type of a message, derived from its description ----

type ScalarValue<T> = T extends 'bool'
  ? boolean
  : T extends 'string'
    ? string
    : T extends 'uuid'
      ? Uuid
      : T extends 'bytes' | 'records'
        ? Uint8Array
        : number;

type MappedValue<M> = M extends 'error' ? ErrorCode : M extends 'configSource' | 'configOperation' ? string : never;

/** The value of one field: what the in-process object holds for it. */
export type FieldValue<F extends FieldSpec> =
  | (F extends { readonly map: infer M }
      ? MappedValue<M>
      : F extends { readonly type: 'struct'; readonly fields: infer S extends readonly FieldSpec[] }
        ? WireStruct<S>
        : F extends { readonly type: '[]struct'; readonly fields: infer S extends readonly FieldSpec[] }
          ? readonly WireStruct<S>[]
          : F['type'] extends `[]${infer E}`
            ? readonly ScalarValue<E>[]
            : ScalarValue<F['type']>)
  | (F extends { readonly nullableVersions: Versions } ? null : never);

/** The in-process property of a field. */
export type PropertyOf<F extends FieldSpec> = F extends { readonly as: infer A extends string } ? A : F['name'];

/**
 * The object a struct's description describes. Every property is optional because every
 * field exists in only some versions (a decoder fills all of them; an encoder takes
 * Kafka's default for what is missing).
 */
export type WireStruct<S extends readonly FieldSpec[]> = { readonly [F in S[number] as PropertyOf<F>]?: FieldValue<F> };

/** The message a description describes: `WireShape<typeof FetchRequest>`. */
export type WireShape<M extends MessageSpec> = WireStruct<M['fields']>;

type ItemOf<T> = T extends readonly (infer E)[] ? E : T;
type Inner<T> = NonNullable<ItemOf<NonNullable<T>>>;

/**
 * Where a struct's description and an in-process type disagree about field names, as a union
 * of messages such as `'topics.partitions: lastFetchedEpoch is only in the description'`;
 * `never` when they agree. Nested structs are compared field by field; `apiKey` (the
 * in-process discriminant) is not a wire field.
 */
export type Disagreement<S extends readonly FieldSpec[], T, Path extends string = '(top)'> =
  | (Exclude<PropertyOf<S[number]>, keyof T> extends infer K extends string
      ? K extends string
        ? `${Path}: ${K} is only in the description`
        : never
      : never)
  | (Exclude<keyof T, PropertyOf<S[number]> | 'apiKey'> extends infer K
      ? K extends string
        ? `${Path}: ${K} is only in the in-process type`
        : never
      : never)
  | {
      [F in S[number] as PropertyOf<F>]: F extends { readonly fields: infer Sub extends readonly FieldSpec[] }
        ? PropertyOf<F> extends keyof T
          ? Inner<T[PropertyOf<F>]> extends readonly unknown[]
            ? `${Path}: ${PropertyOf<F>} is an array of arrays in the in-process type`
            : Disagreement<Sub, Inner<T[PropertyOf<F>]>, Path extends '(top)' ? PropertyOf<F> : `${Path}.${PropertyOf<F>}`>
          : never
        : never;
    }[PropertyOf<S[number]>];
