/**
 * Counts passes of CRC-32C over at least `crcPasses.minBytes` bytes, for tests that check
 * how often a batch is checksummed. A test file mocks the module with it (vi.mock is
 * hoisted, so the helper is imported inside the factory):
 *
 * ```ts
 * vi.mock('../../src/util/crc32c.js', async (original) => (await import('../helpers/crc-count.js')).countingCrc32c(await original()));
 * ```
 */
import type * as Crc32c from '../../src/util/crc32c.js';

export const crcPasses = { count: 0, minBytes: Number.POSITIVE_INFINITY };

export function countingCrc32c(real: typeof Crc32c): typeof Crc32c {
  const note = (start: number, end: number): void => {
    if (end - start >= crcPasses.minBytes) crcPasses.count++;
  };
  return {
    ...real,
    crc32c: (buf: Uint8Array, start = 0, end = buf.length) => (note(start, end), real.crc32c(buf, start, end)),
    crc32cUpdate: (crc: number, buf: Uint8Array, start = 0, end = buf.length) => (note(start, end), real.crc32cUpdate(crc, buf, start, end)),
  };
}
