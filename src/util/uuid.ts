/**
 * Kafka's `Uuid`: 16 random bytes, printed as 22 characters of unpadded base64url
 * (`org.apache.kafka.common.Uuid.toString`). Topic ids and broker incarnation ids are
 * Uuids.
 *
 * In memory a Uuid is its printed string, not its bytes: a 22-character one-byte string
 * costs V8 about 40 bytes and is a `Map` key as it is, where a `Uint8Array` costs over
 * 100 bytes and compares by identity. On the wire and in metadata records it is the 16
 * raw bytes.
 * @internal
 */
import { assert } from './assert.js';
import type { Rng } from './rng.js';

/** A Kafka Uuid in its printed form: 22 characters of unpadded base64url. */
export type Uuid = string;

/** Bytes in a Uuid. */
export const uuidBytes = 16;

/** Kafka's reserved `Uuid.ZERO_UUID`, the "no id" value. */
export const zeroUuid: Uuid = 'AAAAAAAAAAAAAAAAAAAAAA';
/** Kafka's reserved `Uuid.ONE_UUID`, the topic id of `__cluster_metadata`. */
export const metadataTopicId: Uuid = 'AAAAAAAAAAAAAAAAAAAAAQ';

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const sextetOf = new Int8Array(128).fill(-1);
for (let i = 0; i < alphabet.length; i++) sextetOf[alphabet.charCodeAt(i)] = i;

/** Prints 16 bytes (read from `bytes` at `pos`) as a Uuid. */
export function uuidFromBytes(bytes: Uint8Array, pos = 0): Uuid {
  assert(pos + uuidBytes <= bytes.length, 'a Uuid needs 16 bytes');
  let out = '';
  // 16 bytes = 5 groups of 3 bytes (4 characters each) and 1 byte left (2 characters).
  let i = pos;
  for (let g = 0; g < 5; g++, i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += alphabet[(n >>> 18) & 63]! + alphabet[(n >>> 12) & 63]! + alphabet[(n >>> 6) & 63]! + alphabet[n & 63]!;
  }
  const last = bytes[i]!;
  out += alphabet[last >>> 2]! + alphabet[(last & 3) << 4]!;
  return out;
}

/** Whether `value` is a well-formed printed Uuid (22 base64url characters, no padding bits set). */
export function isUuid(value: unknown): value is Uuid {
  if (typeof value !== 'string' || value.length !== 22) return false;
  for (let i = 0; i < 22; i++) {
    const c = value.charCodeAt(i);
    if (c >= 128 || sextetOf[c]! < 0) return false;
  }
  // The last character carries 2 bits of the 16th byte and 4 padding bits, which must be zero.
  return (sextetOf[value.charCodeAt(21)]! & 15) === 0;
}

/** Writes the 16 bytes of `uuid` into `out` at `pos`. */
export function writeUuid(out: Uint8Array, pos: number, uuid: Uuid): void {
  assert(isUuid(uuid), `not a Uuid: ${JSON.stringify(uuid)}`);
  let c = 0;
  let o = pos;
  for (let g = 0; g < 5; g++) {
    const n =
      (sextetOf[uuid.charCodeAt(c)]! << 18) |
      (sextetOf[uuid.charCodeAt(c + 1)]! << 12) |
      (sextetOf[uuid.charCodeAt(c + 2)]! << 6) |
      sextetOf[uuid.charCodeAt(c + 3)]!;
    out[o++] = (n >>> 16) & 0xff;
    out[o++] = (n >>> 8) & 0xff;
    out[o++] = n & 0xff;
    c += 4;
  }
  out[o] = (sextetOf[uuid.charCodeAt(c)]! << 2) | (sextetOf[uuid.charCodeAt(c + 1)]! >>> 4);
}

/** The 16 bytes of `uuid`. */
export function uuidToBytes(uuid: Uuid): Uint8Array {
  const out = new Uint8Array(uuidBytes);
  writeUuid(out, 0, uuid);
  return out;
}

/**
 * A random Uuid from `rng`, never one of Kafka's reserved ids and never one whose printed
 * form starts with `-` (Kafka's `Uuid.randomUuid` rule, so that an id can be passed as a
 * command-line argument without looking like an option).
 */
export function randomUuid(rng: Rng): Uuid {
  for (;;) {
    const id = uuidFromBytes(rng.bytes(uuidBytes));
    if (id !== zeroUuid && id !== metadataTopicId && !id.startsWith('-')) return id;
  }
}
