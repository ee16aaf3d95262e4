import { describe } from 'vitest';
import { nodeSimShard } from './node-sim-shard.js';

// Seeds 201-300 of the node simulation (node-sim-shard.ts); node-sim.test.ts runs seeds 1-20 and the replay check.
describe('node simulation with the consumer group, shard 2', () => nodeSimShard(201, 100));
