import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { logContract } from './log-contract.js';
import { MemoryLog } from './memory-log.js';
import { PartitionLog } from './partition-log.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

logContract('MemoryLog', async (config) => new MemoryLog({ topic: 'contract', partition: 0, ...(config ? { config } : {}) }));
logContract('PartitionLog', async (config) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tributary-contract-'));
  dirs.push(dataDir);
  return PartitionLog.open({ dataDir, topic: 'contract', partition: 0, ...(config ? { config } : {}) });
});
