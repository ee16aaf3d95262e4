/**
 * The one interpreter of message descriptions (`../schema/`): it compiles a description at
 * one version into a decoder and an encoder for that version, once, and caches them.
 *
 * Compiling first, instead of walking the description for every message, is the cost
 * model Kafka's generated code has: every question about the version (does v7 carry
 * `leaderEpoch`? is v9 flexible? is `rack` nullable in v1?) is answered while the plan is
 * built, so a plan is a flat list of closures that each read or write one field. Worked
 * example: a Fetch v11 response of 1 topic and 100 partitions runs 1 + 100 struct closures
 * and about 1,000 field closures, with no branch on the version and no lookup by name.
 *
 * Decoders build the in-process object: every field of the description gets its property
 * (a field the version lacks gets its default, so a v0 message decodes to the same shape as
 * a v12 one), error codes become names, and byte fields are views into the input, not
 * copies. Encoders take the in-process object: a property that is missing gets the field's
 * default, and tagged fields are written only when they differ from their default. In a
 * request, a field the version lacks must hold its default unless Kafka marks it ignorable
 * (otherwise `UNSUPPORTED_VERSION`: the version cannot carry it); a response drops it (see
 * `Ctx.lenient`).
 * @internal
 */
import { assert } from '../../util/assert.js';
import { errorCodeFromNumber, errorCodes, type ErrorCode } from '../../util/error-codes.js';
import { TributaryError } from '../../util/errors.js';
import { zeroUuid } from '../../util/uuid.js';
import type { ConfigSource } from '../common.js';
import { inVersions, type FieldMapping, type FieldSpec, type MessageSpec } from '../schema/spec.js';
import type { ByteReader } from '../../util/byte-reader.js';
import { ByteWriter } from '../../util/byte-writer.js';

type Obj = Record<string, unknown>;
type Read = (r: ByteReader) => unknown;
type Write = (w: ByteWriter, value: unknown) => void;

/** The compiled codec of one message at one version. */
export interface Plan {
  readonly version: number;
  readonly flexible: boolean;
  /** Reads the body into `into` (which may already hold `apiKey`) and returns it. */
  readonly read: (r: ByteReader, into: Obj) => Obj;
  /** Writes the body of `value`. */
  readonly write: (w: ByteWriter, value: Obj) => void;
}

// ---- value mappings: what the wire carries as a number and the in-process value names ----

/** Kafka's `ConfigSource` ids (`DescribeConfigsResponse.ConfigSource`). */
export const configSourceNumbers: Readonly<Record<string, number>> = {
  UNKNOWN: 0,
  TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  DYNAMIC_BROKER_LOGGER_CONFIG: 6,
  CLIENT_METRICS_CONFIG: 7,
  GROUP_CONFIG: 8,
} satisfies Record<ConfigSource, number>;

/** Kafka's `AlterConfigOp.OpType` ids. */
export const configOperationNumbers: Readonly<Record<string, number>> = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 };

interface Mapping {
  toWire(value: unknown): number;
  fromWire(n: number, fail: (why: string) => never): unknown;
}

function enumMapping(numbers: Readonly<Record<string, number>>, what: string, unknown: string | null): Mapping {
  const names: string[] = [];
  for (const [name, n] of Object.entries(numbers)) names[n] = name;
  return {
    toWire(value) {
      const n = numbers[value as string];
      assert(n !== undefined, `${String(value)} is not a ${what}`);
      return n;
    },
    fromWire(n, fail) {
      const name = names[n];
      if (name !== undefined) return name;
      return unknown ?? fail(`${n} is not a ${what}`);
    },
  };
}

const mappings: { readonly [M in FieldMapping]: Mapping } = {
  error: {
    toWire: (value) => errorCodes[value as ErrorCode].wireCode,
    fromWire: (n) => errorCodeFromNumber(n),
  },
  // A client reading a newer broker's config source it does not know keeps it as UNKNOWN.
  configSource: enumMapping(configSourceNumbers, 'config source', 'UNKNOWN'),
  configOperation: enumMapping(configOperationNumbers, 'config operation', null),
};

// ---- defaults ----

const emptyArray: readonly unknown[] = Object.freeze([]);
const emptyBytes = new Uint8Array(0);

/** The value a field has when its version lacks it (Kafka's generator rules). */
function defaultOf(f: FieldSpec): unknown {
  if (f.type === 'struct') return undefined;
  if (f.type.startsWith('[]')) return f.default === null ? null : emptyArray;
  let d: unknown = f.default;
  if (d === undefined) {
    switch (f.type) {
      case 'bool':
        d = false;
        break;
      case 'string':
        d = '';
        break;
      case 'uuid':
        d = zeroUuid;
        break;
      case 'bytes':
        d = emptyBytes;
        break;
      case 'records':
        d = null;
        break;
      default:
        d = 0;
    }
  }
  if (f.map !== undefined && typeof d === 'number') d = mappings[f.map].fromWire(d, () => unreachableDefault(f));
  return d;
}

function unreachableDefault(f: FieldSpec): never {
  throw new Error(`the default of ${f.name} is not a valid ${f.map ?? ''}`);
}

/** Whether `value` may be left out where the field does not exist (or is tagged). */
function isDefault(f: FieldSpec, value: unknown, d: unknown): boolean {
  if (value === undefined || value === d) return true;
  if (Array.isArray(value)) return value.length === 0 && d !== null;
  if (value instanceof Uint8Array) return value.length === 0 && d instanceof Uint8Array;
  if (f.type === 'struct') return false;
  return false;
}

// ---- compiling ----

interface Ctx {
  readonly version: number;
  readonly flexible: boolean;
  /**
   * Responses are lenient, requests strict. A broker's in-process response is the same
   * whatever version the client asked in, so a response encoder drops every field the
   * version lacks (a ListOffsets v2 answer has no `leaderEpoch`, though the broker filled
   * it) and writes a null in a field the version cannot make null as its empty value (as
   * Kafka does for JoinGroup's `protocolName` before v7). A request encoder refuses both
   * with UNSUPPORTED_VERSION unless Kafka marks the field ignorable: a client that asked for
   * something the negotiated version cannot say must not have it silently dropped.
   */
  readonly lenient: boolean;
  readonly what: string;
}

function cannot(ctx: Ctx, why: string): never {
  throw new TributaryError('UNSUPPORTED_VERSION', `${ctx.what} v${ctx.version} cannot carry ${why}`);
}

function scalarReader(type: string, nullable: boolean, flexible: boolean): Read {
  switch (type) {
    case 'int8':
      return (r) => r.int8();
    case 'int16':
      return (r) => r.int16();
    case 'int32':
      return (r) => r.int32();
    case 'int64':
      return (r) => r.int64();
    case 'uint16':
      return (r) => r.uint16();
    case 'float64':
      return (r) => r.float64();
    case 'bool':
      return (r) => r.bool();
    case 'uuid':
      return (r) => r.uuid();
    case 'string':
      return nullable ? (r) => r.nullableString(flexible) : (r) => r.string(flexible);
    case 'bytes':
    case 'records':
      return nullable ? (r) => r.nullableBytes(flexible) : (r) => r.bytes(flexible);
    default:
      throw new Error(`no reader for ${type}`);
  }
}

function scalarWriter(type: string, nullable: boolean, flexible: boolean, emptyForNull: unknown, ctx: Ctx, name: string): Write {
  const orEmpty = (v: unknown): unknown => {
    if (v !== null) return v;
    if (ctx.lenient) return emptyForNull;
    return cannot(ctx, `a null ${name}`);
  };
  switch (type) {
    case 'int8':
      return (w, v) => w.int8(v as number);
    case 'int16':
      return (w, v) => w.int16(v as number);
    case 'int32':
      return (w, v) => w.int32(v as number);
    case 'int64':
      return (w, v) => w.int64(v as number);
    case 'uint16':
      return (w, v) => w.uint16(v as number);
    case 'float64':
      return (w, v) => w.float64(v as number);
    case 'bool':
      return (w, v) => w.bool(v as boolean);
    case 'uuid':
      // '' is treated as "no id" (the zero Uuid), so that a response built with an empty
      // id for an unknown topic is still sent rather than tripping the writer's assertion.
      return (w, v) => w.uuid(v === '' ? zeroUuid : (v as string));
    case 'string':
      return nullable ? (w, v) => w.nullableString(flexible, v as string | null) : (w, v) => w.string(flexible, orEmpty(v) as string);
    case 'bytes':
      return nullable ? (w, v) => w.nullableBytes(flexible, v as Uint8Array | null) : (w, v) => w.bytes(flexible, orEmpty(v) as Uint8Array);
    case 'records':
      // Record batches are passed through by reference in chunked mode (zero-copy Fetch).
      return (w, v) => {
        const b = (nullable ? v : orEmpty(v)) as Uint8Array | null;
        if (b === null) {
          if (flexible) w.unsignedVarint(0);
          else w.int32(-1);
          return;
        }
        if (flexible) w.unsignedVarint(b.length + 1);
        else w.int32(b.length);
        w.external(b);
      };
    default:
      throw new Error(`no writer for ${type}`);
  }
}

interface FieldCodec {
  readonly read: Read;
  readonly write: Write;
}

function fieldCodec(f: FieldSpec, ctx: Ctx): FieldCodec {
  const { version, flexible } = ctx;
  const nullable = inVersions(f.nullableVersions, version);
  const elem = f.type.startsWith('[]') ? f.type.slice(2) : f.type;
  const isArray = f.type.startsWith('[]');
  let read: Read;
  let write: Write;
  if (elem === 'struct') {
    const s = compileStruct(f.fields ?? [], ctx);
    read = (r) => s.read(r, {});
    write = (w, v) => s.write(w, v as Obj);
  } else {
    read = scalarReader(elem, isArray ? false : nullable, flexible);
    write = scalarWriter(elem, isArray ? false : nullable, flexible, elem === 'string' ? '' : emptyBytes, ctx, f.name);
  }
  if (f.map !== undefined) {
    const m = mappings[f.map];
    const rawRead = read;
    const rawWrite = write;
    read = (r) => m.fromWire(rawRead(r) as number, (why) => r.fail(why));
    write = (w, v) => rawWrite(w, m.toWire(v));
  }
  if (!isArray) return { read, write };
  const item = read;
  const itemWrite = write;
  return {
    read: nullable ? (r) => r.nullableArray(flexible, item) : (r) => r.array(flexible, item),
    write: (w, v) => {
      if (v === null && !nullable) {
        if (!ctx.lenient) cannot(ctx, `a null ${f.name}`);
        v = emptyArray;
      }
      w.nullableArray(flexible, v as readonly unknown[] | null, itemWrite);
    },
  };
}

interface StructCodec {
  read(r: ByteReader, into: Obj): Obj;
  write(w: ByteWriter, value: Obj): void;
}

function compileStruct(fields: readonly FieldSpec[], ctx: Ctx): StructCodec {
  const { version, flexible, lenient } = ctx;
  // Decoding: properties in description order, each read from the wire or set to its default.
  const readKeys: string[] = [];
  const readers: (Read | null)[] = [];
  const readDefaults: unknown[] = [];
  // Encoding: the regular fields in order, then the tagged ones by tag.
  const writeKeys: string[] = [];
  const writers: Write[] = [];
  const writeDefaults: unknown[] = [];
  const absent: { key: string; field: FieldSpec; d: unknown }[] = [];
  const tagged: { key: string; tag: number; codec: FieldCodec; field: FieldSpec; d: unknown }[] = [];
  const taggedByTag = new Map<number, { key: string; read: Read }>();

  for (const f of fields) {
    const key = f.as ?? f.name;
    const d = defaultOf(f);
    if (!inVersions(f.versions, version)) {
      if (d !== undefined) {
        readKeys.push(key);
        readers.push(null);
        readDefaults.push(d);
      }
      absent.push({ key, field: f, d });
      continue;
    }
    const codec = fieldCodec(f, ctx);
    if (flexible && inVersions(f.taggedVersions, version)) {
      assert(f.tag !== undefined, `tagged field ${f.name} has a tag`);
      if (d !== undefined) {
        readKeys.push(key);
        readers.push(null);
        readDefaults.push(d);
      }
      tagged.push({ key, tag: f.tag, codec, field: f, d });
      taggedByTag.set(f.tag, { key, read: codec.read });
      continue;
    }
    readKeys.push(key);
    readers.push(codec.read);
    readDefaults.push(undefined);
    writeKeys.push(key);
    writers.push(codec.write);
    writeDefaults.push(d);
  }
  tagged.sort((a, b) => a.tag - b.tag);

  const readTags = (r: ByteReader, o: Obj): void => {
    const count = r.unsignedVarint();
    if (count > r.remaining) r.fail(`${count} tagged fields in ${r.remaining} bytes`);
    let previous = -1;
    for (let i = 0; i < count; i++) {
      const tag = r.unsignedVarint();
      if (tag <= previous) r.fail(`tagged field ${tag} after ${previous}`);
      previous = tag;
      const size = r.unsignedVarint();
      const known = taggedByTag.get(tag);
      if (known === undefined) {
        r.skip(size); // KIP-482: a reader skips the tags it does not know
        continue;
      }
      if (size > r.remaining) r.fail(`tagged field ${tag} needs ${size} bytes, ${r.remaining} left`);
      const end = r.position + size;
      o[known.key] = known.read(r);
      if (r.position !== end) r.fail(`tagged field ${tag} is ${size} bytes but its value took ${r.position - (end - size)}`);
    }
  };

  const writeTags = (w: ByteWriter, o: Obj): void => {
    let present = 0;
    for (const t of tagged) if (!isDefault(t.field, o[t.key], t.d)) present++;
    w.unsignedVarint(present);
    if (present === 0) return;
    for (const t of tagged) {
      const v = o[t.key];
      if (isDefault(t.field, v, t.d)) continue;
      const inner = new ByteWriter(64);
      t.codec.write(inner, v);
      const bytes = inner.finish();
      w.unsignedVarint(t.tag).unsignedVarint(bytes.length).raw(bytes);
    }
  };

  const checkAbsent = (o: Obj): void => {
    for (const a of absent) {
      const v = o[a.key];
      if (!lenient && !a.field.ignorable && !isDefault(a.field, v, a.d)) cannot(ctx, `${a.key} (${JSON.stringify(v, (_k, x: unknown) => (x instanceof Uint8Array ? `${x.length} bytes` : x))})`);
    }
  };
  return generateStruct({ readKeys, readers, readDefaults, writeKeys, writers, writeDefaults, checkAbsent: absent.length > 0 && !lenient ? checkAbsent : null, readTags: flexible ? readTags : null, writeTags: flexible ? writeTags : null });
}

interface StructParts {
  readonly readKeys: readonly string[];
  readonly readers: readonly (Read | null)[];
  readonly readDefaults: readonly unknown[];
  readonly writeKeys: readonly string[];
  readonly writers: readonly Write[];
  readonly writeDefaults: readonly unknown[];
  readonly checkAbsent: ((o: Obj) => void) | null;
  readonly readTags: ((r: ByteReader, o: Obj) => void) | null;
  readonly writeTags: ((w: ByteWriter, o: Obj) => void) | null;
}

/**
 * The struct's reader and writer as generated functions, one statement per field, as Kafka
 * generates Java from the same descriptions. Why generate: each field's property name is a
 * constant in its own statement (`o["leaderEpoch"] = ...`), so V8 gives every access a
 * monomorphic inline cache; a loop over `o[keys[i]]` shares one megamorphic keyed access
 * among all fields of all messages. Worked example: decoding a Metadata v12 answer of 1,000
 * partitions stores about 8,000 properties; measured on this machine the generated form
 * takes a fraction of the loop's time (see docs/design/protocol.md). The generated source
 * holds no data from a message: only the description's field names, quoted by
 * `JSON.stringify`, and indexes into the closures passed in.
 */
function generateStruct(p: StructParts): StructCodec {
  const key = (k: string): string => `o[${JSON.stringify(k)}]`;
  let readBody = '';
  p.readKeys.forEach((k, i) => {
    readBody += p.readers[i] === null ? `${key(k)} = readDefaults[${i}];\n` : `${key(k)} = readers[${i}](r);\n`;
  });
  if (p.readTags) readBody += 'readTags(r, o);\n';
  readBody += 'return o;';
  let writeBody = p.checkAbsent ? 'checkAbsent(o);\n' : '';
  writeBody += 'let v;\n';
  p.writeKeys.forEach((k, i) => {
    writeBody += `v = ${key(k)}; writers[${i}](w, v === undefined ? writeDefaults[${i}] : v);\n`;
  });
  if (p.writeTags) writeBody += 'writeTags(w, o);\n';
  const make = new Function(
    'readers',
    'readDefaults',
    'writers',
    'writeDefaults',
    'checkAbsent',
    'readTags',
    'writeTags',
    `return { read(r, o) {\n${readBody}\n}, write(w, o) {\n${writeBody}\n} };`,
  ) as (...args: unknown[]) => StructCodec;
  return make(p.readers, p.readDefaults, p.writers, p.writeDefaults, p.checkAbsent, p.readTags, p.writeTags);
}

const cache = new WeakMap<MessageSpec, (Plan | undefined)[]>();

/** The plan of `spec` at `version`, compiled on first use. The version must be in `spec.validVersions`. */
export function planFor(spec: MessageSpec, version: number, what: string): Plan {
  let plans = cache.get(spec);
  if (plans === undefined) {
    plans = [];
    cache.set(spec, plans);
  }
  let plan = plans[version];
  if (plan === undefined) {
    assert(inVersions(spec.validVersions, version), `${what} v${version} is in the description's versions`);
    const flexible = inVersions(spec.flexibleVersions, version);
    const s = compileStruct(spec.fields, { version, flexible, lenient: spec.type === 'response', what });
    plan = { version, flexible, read: s.read, write: s.write };
    plans[version] = plan;
  }
  return plan;
}
