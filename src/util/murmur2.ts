/**
 * Kafka's murmur2: the 32-bit hash the Java client's default partitioner takes of a
 * record key (`org.apache.kafka.common.utils.Utils.murmur2`). It returns the same signed
 * 32-bit value as Java for every input, so `toPositive(murmur2(key)) % partitions` puts a
 * key on the same partition as the Java client does.
 *
 * Java reads the 4-byte blocks little-endian and handles a 3, 2 or 1 byte tail by
 * falling through the cases; the arithmetic is 32-bit with wrap-around, which
 * `Math.imul` gives us exactly.
 * @internal
 */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  const seed = 0x9747b28c;
  const m = 0x5bd1e995;
  const r = 24;
  let h = seed ^ length;
  const length4 = length >> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = data[i4]! | (data[i4 + 1]! << 8) | (data[i4 + 2]! << 16) | (data[i4 + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const tail = length & ~3;
  // Java handles the 3, 2 or 1 byte tail by falling through a switch; the cascade of ifs
  // below does the same.
  const rest = length & 3;
  if (rest === 3) h ^= data[tail + 2]! << 16;
  if (rest >= 2) h ^= data[tail + 1]! << 8;
  if (rest >= 1) {
    h ^= data[tail]!;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** Java's `Utils.toPositive`: clears the sign bit (not `Math.abs`, which overflows). @internal */
export function toPositive(n: number): number {
  return n & 0x7fffffff;
}

/**
 * `murmur2` of an ASCII string's bytes (every code unit below 0x80, so its UTF-8 is its
 * code units), read from the string: no `Buffer.from(key)` a keyed record. Why: that
 * conversion is a call into C++ and a new buffer for every keyed record the default
 * partitioner places; with 1,000 keyed records a call over 10,000 partitions it was
 * the producer's one allocation a record besides the batch. The caller checks ASCII.
 * @internal
 */
export function murmur2Ascii(s: string): number {
  const length = s.length;
  const m = 0x5bd1e995;
  let h = 0x9747b28c ^ length;
  const length4 = length >> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = s.charCodeAt(i4) | (s.charCodeAt(i4 + 1) << 8) | (s.charCodeAt(i4 + 2) << 16) | (s.charCodeAt(i4 + 3) << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const tail = length & ~3;
  const rest = length & 3;
  if (rest === 3) h ^= s.charCodeAt(tail + 2) << 16;
  if (rest >= 2) h ^= s.charCodeAt(tail + 1) << 8;
  if (rest >= 1) {
    h ^= s.charCodeAt(tail);
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}
