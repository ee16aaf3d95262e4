import { createHash } from 'node:crypto';

/**
 * Deterministic record contents for crash tests. A record's value names the batch and
 * position it was written as, plus a digest of both, so the parent can tell, for any
 * record it reads back, whether it is exactly one the child wrote ("nothing invented"),
 * and rebuild the expected bytes of every acknowledged record without the child telling
 * it anything but the batch id.
 */
export const recordsPerBatchMax = 16;

export function recordCountFor(batchId: number): number {
  return 1 + (batchId % recordsPerBatchMax);
}

export function valueFor(batchId: number, index: number): Buffer {
  const head = `b${batchId}:r${index}:`;
  const digest = createHash('sha256').update(head).digest('hex');
  // Vary the size so batches straddle index intervals and segment boundaries differently.
  const pad = 'x'.repeat((batchId * 7 + index * 13) % 200);
  return Buffer.from(`${head}${digest}:${pad}`);
}

export function keyFor(batchId: number, index: number): Buffer {
  return Buffer.from(`k${(batchId * 31 + index) % 97}`);
}

/** Parses a value written by `valueFor`, or returns undefined if it is not one. */
export function parseValue(value: Uint8Array | null): { batchId: number; index: number } | undefined {
  if (value === null) return undefined;
  const text = Buffer.from(value).toString('utf8');
  const m = /^b(\d+):r(\d+):/.exec(text);
  if (!m) return undefined;
  const batchId = Number(m[1]);
  const index = Number(m[2]);
  return valueFor(batchId, index).equals(Buffer.from(value)) ? { batchId, index } : undefined;
}
