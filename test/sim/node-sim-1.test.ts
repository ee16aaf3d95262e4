import { describe } from 'vitest';
import { nodeSimShard } from './node-sim-shard.js';

// Seeds 101-200 of the node simulation (node-sim-shard.ts); node-sim.test.ts runs seeds 1-20 and the replay check.
describe('node simulation with the consumer group, shard 1', () => nodeSimShard(101, 100));
