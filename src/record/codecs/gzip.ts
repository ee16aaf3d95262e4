import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { constants } from 'node:zlib';
import { decompressedBytesMax, decompressFailed, outputTooLarge, type Codec } from './codec.js';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/**
 * gzip (RFC 1952) through Node's zlib, as Kafka's `GZIPOutputStream` writes it. A gzip
 * stream does not say how long its output is, so the bound is enforced while inflating:
 * zlib stops with `ERR_BUFFER_TOO_LARGE` as soon as the output passes the maximum.
 * Concatenated gzip members are read as one stream, as Java's `GZIPInputStream` does.
 * `level` is zlib's (1 fastest to 9 smallest; -1, the default, is zlib's default 6), the
 * same scale as Java's `Deflater` that Kafka's `compression.gzip.level` sets.
 */
export const gzipCodec: Codec = {
  name: 'gzip',
  compress: (data, level) => gzipAsync(data, { level: level ?? constants.Z_DEFAULT_COMPRESSION }),
  async decompress(data) {
    try {
      return await gunzipAsync(data, { maxOutputLength: decompressedBytesMax });
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw outputTooLarge('gzip');
      throw decompressFailed('gzip', cause);
    }
  },
};
