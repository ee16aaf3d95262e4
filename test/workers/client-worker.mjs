// Entry of the worker tests' threads: registers tsx in this thread, then runs the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./client-worker.ts');
