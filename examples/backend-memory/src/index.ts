export { type MemoryOptions, memoryBackend } from './backend.js';
export { MemorySpool } from './memory-spool.js';
export { discardMemorySpool } from './store.js';
