// Worker thread entry: workers do not inherit the main thread's loader hooks, so register tsx
// here before loading the TypeScript worker (works under bin/peerprop.mjs, vitest and bench).
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
