/**
 * `compressionType` of a standalone `PartitionLog` or `MemoryLog` (the public storage
 * API): only `producer` (keep each batch's codec). Any other value is refused at open
 * and at `updateConfig` with `INVALID_CONFIG` naming the option, what is allowed and how
 * to get another codec; a log that refused a change keeps working; a batch encoded with
 * a codec is stored in it and reads back.
 */
import { describe, expect, it } from 'vitest';
import { MemoryLog, PartitionLog, encodeBatch, readBatchHeader } from '../../src/index.js';
import { useTempDirs } from '../helpers/temp-dirs.js';

const tempDir = useTempDirs('tributary-log-compression-');
const refusal = (got: string) =>
  expect.objectContaining({
    name: 'TributaryError',
    code: 'INVALID_CONFIG',
    option: 'compressionType',
    message: expect.stringContaining(`compressionType: must be 'producer' (a log stores each batch in the codec it was written in), got "${got}"`),
  });

describe('a standalone log’s compressionType', () => {
  it('refuses every value but producer, at open and at updateConfig, and keeps each batch’s own codec', async () => {
    for (const value of ['gzip', 'zstd', 'uncompressed', 'none']) {
      await expect(PartitionLog.open({ dataDir: tempDir(), topic: 't', partition: 0, config: { compressionType: value as 'producer' } })).rejects.toEqual(refusal(value));
      expect(() => new MemoryLog({ topic: 't', partition: 0, config: { compressionType: value as 'producer' } })).toThrow(refusal(value));
    }
    const err = (await PartitionLog.open({ dataDir: tempDir(), topic: 't', partition: 0, config: { compressionType: 'lz4' as 'producer' } }).catch((e: unknown) => e)) as Error;
    // It names the codecs a topic takes, and how to write one here.
    expect(err.message).toContain('uncompressed, gzip, snappy, lz4, zstd');
    expect(err.message).toContain('encodeBatch');

    const log = await PartitionLog.open({ dataDir: tempDir(), topic: 't', partition: 0, config: { compressionType: 'producer' } });
    try {
      expect(() => log.updateConfig({ compressionType: 'snappy' as 'producer' })).toThrow(refusal('snappy'));
      expect(log.config.compressionType).toBe('producer');
      log.write(await encodeBatch([{ key: null, value: Buffer.from('zipped') }], { compression: 'gzip' }));
      log.write(await encodeBatch([{ key: null, value: Buffer.from('plain') }]));
      const { records } = log.read(0);
      const buf = Buffer.from(records);
      const first = readBatchHeader(buf, 0);
      expect(first.attributes & 7).toBe(1); // gzip, as written
      expect(readBatchHeader(buf, first.batchLength + 12).attributes & 7).toBe(0);
      expect(log.logEndOffset).toBe(2);
    } finally {
      await log.close();
    }
  });
});
