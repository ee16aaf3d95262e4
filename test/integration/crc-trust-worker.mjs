// Entry of the CRC trust test's worker: registers tsx in this thread, then runs the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./crc-trust-worker.ts');
