/**
 * The leader epoch history moved to storage, which owns the one durable copy
 * (`storage/leader-epoch-file-cache.ts`); the pure core lives in `storage/core/`.
 * @internal
 */
export { LeaderEpochCache, undefinedEpoch, undefinedEpochOffset, type EpochEndOffset, type EpochStart } from '../../storage/core/leader-epoch-cache.js';
