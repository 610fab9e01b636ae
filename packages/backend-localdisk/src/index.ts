export { backend } from './backend.js';
export type {
  LocalDiskDir,
  LocalDiskFileHandle,
  LocalDiskFs,
} from './fs-layer.js';
export { openLocalDiskSpool } from './open.js';
export type { LocalDiskSpoolOptions } from './options.js';
export { LocalDiskSpool } from './spool.js';
