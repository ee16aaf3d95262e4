import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeBatch } from '../record/index.js';
import { PartitionLog } from '../storage/partition-log.js';
import type { Logger } from '../util/logger.js';
import { openPartitionLog } from './log-loader.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function recorder(): { logger: Logger; lines: { level: string; msg: string; fields: Record<string, unknown> }[] } {
  const lines: { level: string; msg: string; fields: Record<string, unknown> }[] = [];
  const at = (level: string) => (fields: object, msg?: string) => lines.push({ level, msg: String(msg), fields: fields as Record<string, unknown> });
  return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

/** A log with `batches` batches, left as a crash leaves it (no clean-shutdown marker). */
async function crashedLog(batches: number): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tributary-log-manager-'));
  dirs.push(dataDir);
  const log = await PartitionLog.open({ dataDir, topic: 't', partition: 0 });
  for (let i = 0; i < batches; i++) await log.append(await encodeBatch([{ key: Buffer.from(`k${i}`), value: Buffer.alloc(1000, i) }]));
  await log.sync();
  log.abandon();
  return dataDir;
}

describe('openPartitionLog', () => {
  it('logs the start and the end of a recovery above the size, with the bytes scanned and bytes/s', async () => {
    const dataDir = await crashedLog(50);
    const { logger, lines } = recorder();
    const log = await openPartitionLog({ dataDir, topic: 't', partition: 0 }, 7, logger, 1);
    expect(lines.map((l) => [l.level, l.msg.split(':')[0]])).toEqual([
      ['info', 'recovering t-0 after an unclean shutdown'],
      ['info', 'recovered t-0'],
    ]);
    expect(lines[0]!.fields).toMatchObject({ nodeId: 7, topic: 't', partition: 0, bytes: expect.any(Number) });
    expect(lines[0]!.fields.bytes as number).toBeGreaterThan(50 * 1000);
    expect(lines[1]!.fields).toMatchObject({ bytesScanned: log.recovery.bytesScanned, bytesTruncated: 0, bytesPerSecond: expect.any(Number) });
    expect(log.recovery.bytesScanned).toBeGreaterThan(50 * 1000);
    expect(lines[1]!.msg).toMatch(/MB\/s\)$/);
    await log.close();
  });

  it('announces only the bytes at or after the recovery point, which is what it then scans', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tributary-log-manager-'));
    dirs.push(dataDir);
    const log = await PartitionLog.open({ dataDir, topic: 't', partition: 0, config: { segmentBytes: 8 * 1024 } });
    for (let i = 0; i < 60; i++) await log.append(await encodeBatch([{ key: Buffer.from(`k${i}`), value: Buffer.alloc(1000, i) }]));
    await log.sync(); // waits for the flushes of the rolled segments, which move the recovery point
    log.abandon();
    const { logger, lines } = recorder();
    const reopened = await openPartitionLog({ dataDir, topic: 't', partition: 0 }, 1, logger, 1);
    expect(reopened.segmentCount).toBeGreaterThan(4);
    expect(reopened.recovery.segmentsScanned).toBe(1);
    expect(lines[0]!.fields.bytes).toBe(reopened.recovery.bytesScanned);
    expect(reopened.recovery.bytesScanned).toBeLessThan(reopened.sizeInBytes / 4);
    await reopened.close();
  });

  it('below the size it logs at debug, with what was cut; a clean log says nothing', async () => {
    const dataDir = await crashedLog(5);
    const folder = join(dataDir, 't-0');
    appendFileSync(join(folder, readdirSync(folder).find((f) => f.endsWith('.log'))!), Buffer.alloc(100, 7)); // a torn write
    const { logger, lines } = recorder();
    const log = await openPartitionLog({ dataDir, topic: 't', partition: 0 }, 1, logger);
    expect(lines.map((l) => l.level)).toEqual(['debug', 'debug']);
    expect(lines[1]!.fields).toMatchObject({ bytesTruncated: 100 });
    await log.close();
    const again = recorder();
    const reopened = await openPartitionLog({ dataDir, topic: 't', partition: 0 }, 1, again.logger, 1);
    expect(again.lines).toEqual([]);
    await reopened.close();
  });
});
