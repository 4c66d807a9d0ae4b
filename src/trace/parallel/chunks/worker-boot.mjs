// Worker thread entry of the chunked trace reader (core/load-worker.mjs: compiled build or sources).
import { loadWorkerBeside } from '../../../core/load-worker.mjs';

await loadWorkerBeside(import.meta.url);
