/**
 * `MemoryLog`: `PartitionLog` over a `MemoryStore` (STYLE.md's `memory-log.ts`), moved out
 * of partition-log.ts so that file does not grow.
 */
import type { Clock } from '../util/clock.js';
import type { LogConfig } from './log.js';
import { checkLogOptions } from './log-options.js';
import { PartitionLog } from './partition-log.js';
import { MemoryStore } from './store.js';

/**
 * A partition log in memory: the same engine and contract as the file-backed
 * `PartitionLog`, with nothing durable. For tests and ephemeral clusters.
 *
 * @example
 * ```ts
 * import { MemoryLog, encodeBatch } from 'tributary-log';
 *
 * const log = new MemoryLog({ topic: 'scratch', partition: 0 });
 * await log.append(await encodeBatch([{ value: Buffer.from('hello') }]));
 * console.log(log.logEndOffset); // 1
 * ```
 */
export class MemoryLog extends PartitionLog {
  constructor(options: { topic: string; partition: number; config?: Partial<LogConfig>; clock?: Clock }) {
    checkLogOptions(options, 'a MemoryLog');
    super(options.topic, options.partition, new MemoryStore(), options.config, options.clock, undefined);
    this.load();
  }
}
