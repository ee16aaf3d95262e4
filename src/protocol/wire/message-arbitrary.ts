/**
 * Test-only: random valid messages generated from a description (fast-check), and what the
 * decoder must make of them. Used by the property tests and the KafkaJS cross-check; never
 * imported by the library.
 * @internal
 */
import fc from 'fast-check';
import { errorCodeFromNumber, errorCodes, type ErrorCode } from '../../util/error-codes.js';
import { uuidFromBytes } from '../../util/uuid.js';
import { inVersions, type FieldSpec } from '../schema/spec.js';
import { configOperationNumbers, configSourceNumbers } from './plan.js';

type Obj = Record<string, unknown>;

/** Error names that survive a trip through their number (Tributary-only codes map to Kafka's). */
export const wireErrors = (Object.keys(errorCodes) as ErrorCode[]).filter((c) => errorCodeFromNumber(errorCodes[c].wireCode) === c);

function scalarArb(type: string): fc.Arbitrary<unknown> {
  switch (type) {
    case 'int8':
      return fc.integer({ min: -128, max: 127 });
    case 'int16':
      return fc.integer({ min: -32768, max: 32767 });
    case 'int32':
      return fc.integer({ min: -0x80000000, max: 0x7fffffff });
    case 'int64':
      return fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER });
    case 'uint16':
      return fc.integer({ min: 0, max: 0xffff });
    case 'float64':
      return fc.double({ noNaN: true });
    case 'bool':
      return fc.boolean();
    case 'string':
      return fc.string({ maxLength: 12, unit: 'grapheme' });
    case 'bytes':
    case 'records':
      return fc.uint8Array({ maxLength: 24 });
    case 'uuid':
      return fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => uuidFromBytes(b));
    default:
      throw new Error(type);
  }
}

function fieldArb(f: FieldSpec, version: number): fc.Arbitrary<unknown> {
  const elem = f.type.startsWith('[]') ? f.type.slice(2) : f.type;
  let item: fc.Arbitrary<unknown>;
  if (elem === 'struct') item = structArb(f.fields ?? [], version);
  else if (f.map === 'error') item = fc.constantFrom(...wireErrors);
  else if (f.map === 'configSource') item = fc.constantFrom(...Object.keys(configSourceNumbers));
  else if (f.map === 'configOperation') item = fc.constantFrom(...Object.keys(configOperationNumbers));
  else item = scalarArb(elem);
  const value = f.type.startsWith('[]') ? fc.array(item, { maxLength: 3 }) : item;
  return inVersions(f.nullableVersions, version) ? fc.option(value, { nil: null, freq: 4 }) : value;
}

/** A random object holding exactly the fields `version` carries (tagged structs sometimes absent). */
export function structArb(fields: readonly FieldSpec[], version: number): fc.Arbitrary<Obj> {
  const shape: Record<string, fc.Arbitrary<unknown>> = {};
  for (const f of fields) {
    if (!inVersions(f.versions, version)) continue;
    const a = fieldArb(f, version);
    shape[f.as ?? f.name] = f.type === 'struct' && f.taggedVersions !== undefined ? fc.option(a, { nil: undefined }) : a;
  }
  return fc.record(shape) as fc.Arbitrary<Obj>;
}

/** What the decoder must give for `value`: every field the version lacks at its default. */
export function expected(fields: readonly FieldSpec[], version: number, value: Obj): Obj {
  const out: Obj = {};
  for (const f of fields) {
    const key = f.as ?? f.name;
    if (inVersions(f.versions, version)) {
      const v = value[key];
      if (v === undefined) continue;
      if (f.fields && v !== null) out[key] = Array.isArray(v) ? v.map((x) => expected(f.fields!, version, x as Obj)) : expected(f.fields, version, v as Obj);
      else out[key] = v;
      continue;
    }
    if (f.type === 'struct') continue;
    if (f.type.startsWith('[]')) out[key] = f.default === null ? null : [];
    else if (f.default !== undefined) out[key] = f.map === 'error' ? errorCodeFromNumber(f.default as number) : f.map === 'configSource' ? (Object.entries(configSourceNumbers).find(([, n]) => n === f.default)?.[0] ?? 'UNKNOWN') : f.default;
    else out[key] = f.type === 'bool' ? false : f.type === 'string' ? '' : f.type === 'uuid' ? 'AAAAAAAAAAAAAAAAAAAAAA' : f.type === 'bytes' ? new Uint8Array(0) : f.type === 'records' ? null : f.map === 'error' ? 'NONE' : 0;
  }
  return out;
}
