export { PartitionLog, type PartitionLogOptions, type LogStats } from './partition-log.js';
export { MemoryLog } from './memory-log.js';
export {
  defaultLogConfig,
  type Log,
  type LogConfig,
  type FlushPolicy,
  type CleanupPolicy,
  type LogAppendInfo,
  type AppendOptions,
  type ReadOptions,
  type LogReadResult,
  type EpochEntry,
  type RecoveryReport,
} from './log.js';
