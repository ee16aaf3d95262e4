import { loadNative } from './native.js';

interface Crc32Module {
  crc32c(input: Buffer, initial?: number): number;
}

/**
 * The native CRC-32C, or undefined when `@node-rs/crc32` (optional) is not installed;
 * null until the first checksum long enough to use it. Loaded then, not at import: every
 * node worker of a `'per-node'` cluster imports this, and loading the addon (resolving the
 * package, then the addon's own start) cost 1.5-2 ms of CPU of each worker's boot.
 */
let nativeCrc32c: Crc32Module['crc32c'] | undefined | null = null;

function native(): Crc32Module['crc32c'] | undefined {
  if (nativeCrc32c === null) nativeCrc32c = loadNative<Crc32Module>('@node-rs/crc32')?.crc32c;
  return nativeCrc32c;
}

/**
 * CRC-32C (Castagnoli), the checksum of Kafka's record batch v2.
 *
 * Why two implementations: the native one (`@node-rs/crc32`, SSE4.2) runs at about
 * 6 GB/s on a 1 MiB buffer but pays roughly 100 ns to cross from JavaScript into the
 * addon; the table-driven JavaScript loop below runs at about 1 GB/s with no call
 * overhead. For a 200-byte batch the crossing costs more than the loop (200 B at 1 GB/s
 * is 200 ns, the native call about 130 ns all in), and at 512 B the native call is
 * already twice as fast, so the cut-over sits at 256 bytes. Without the optional package
 * every length takes the JavaScript loop.
 * @internal
 */
const nativeThresholdBytes = 256;

const table = makeTable();

function makeTable(): Int32Array {
  // Slicing-by-8 tables: table[k * 256 + b] is the CRC of byte b followed by k zero bytes.
  const t = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n]!;
    for (let k = 1; k < 8; k++) {
      c = t[c & 0xff]! ^ (c >>> 8);
      t[k * 256 + n] = c;
    }
  }
  return t;
}

/** @internal Pure JavaScript CRC-32C, exported for tests that compare it with the native path. */
export function crc32cJs(buf: Uint8Array, start = 0, end = buf.length, initial = 0): number {
  let crc = ~initial;
  let i = start;
  const t = table;
  for (; i + 8 <= end; i += 8) {
    const a = crc ^ (buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24));
    crc =
      t[7 * 256 + (a & 0xff)]! ^
      t[6 * 256 + ((a >>> 8) & 0xff)]! ^
      t[5 * 256 + ((a >>> 16) & 0xff)]! ^
      t[4 * 256 + (a >>> 24)]! ^
      t[3 * 256 + buf[i + 4]!]! ^
      t[2 * 256 + buf[i + 5]!]! ^
      t[256 + buf[i + 6]!]! ^
      t[buf[i + 7]!]!;
  }
  for (; i < end; i++) crc = t[(crc ^ buf[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

/**
 * CRC-32C of `buf[start, end)`, as an unsigned 32-bit number.
 * @internal
 */
export function crc32c(buf: Uint8Array, start = 0, end = buf.length): number {
  const nativeCrc = end - start < nativeThresholdBytes ? undefined : native();
  if (nativeCrc === undefined) return crc32cJs(buf, start, end);
  const view =
    start === 0 && end === buf.length && Buffer.isBuffer(buf)
      ? buf
      : Buffer.from(buf.buffer, buf.byteOffset + start, end - start);
  return nativeCrc(view) >>> 0;
}

/**
 * Continues a CRC-32C: the CRC of `prefix ++ buf[start, end)` given `crc` = the CRC of
 * `prefix`. Lets a batch whose header was re-stamped be checksummed without joining the
 * header and the body into one buffer.
 * @internal
 */
export function crc32cUpdate(crc: number, buf: Uint8Array, start = 0, end = buf.length): number {
  const nativeCrc = end - start < nativeThresholdBytes ? undefined : native();
  if (nativeCrc === undefined) return crc32cJs(buf, start, end, crc);
  return nativeCrc(Buffer.from(buf.buffer, buf.byteOffset + start, end - start), crc) >>> 0;
}
