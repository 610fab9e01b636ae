import { createRequire } from 'node:module';
import {
  firstLineOf,
  isModuleNotFound,
  SpoolError,
  SpoolErrorCode,
} from '@spoolkit/core';
import type FsExt from 'fs-ext';

type FlockSync = typeof FsExt.flockSync;

let flockSync: FlockSync | undefined;

/**
 * Returns fs-ext's `flockSync`, loading fs-ext on the first call rather
 * than when this package is imported. An fs-ext whose native addon was
 * never built (npm skipped its install script, or Node was upgraded
 * without `npm rebuild`) then fails the open of a LocalDisk spool with an
 * error that names the fix, and importing the package still works.
 *
 * It loads with `require`, from ES modules too. On Node 20.20, when an ES
 * module fails because a CommonJS module it imports threw, the next
 * `import()` in the process throws that error again, uncaught. So a static
 * import of fs-ext crashed programs that defined a RocksDB spool after a
 * LocalDisk spool had failed.
 *
 * @throws `SPOOL_BACKEND_MISSING` naming `root` and the fix, when fs-ext
 * does not load or has no `flockSync`.
 */
export function loadFlockSync(spool: string, root: string): FlockSync {
  if (flockSync !== undefined) {
    return flockSync;
  }
  let fsExt: typeof FsExt;
  try {
    fsExt = createRequire(import.meta.url)('fs-ext') as typeof FsExt;
  } catch (error) {
    const prefix = `cannot open spool '${spool}' at ${root}: the LocalDisk backend locks spools with the native module fs-ext`;
    throw new SpoolError(
      SpoolErrorCode.BackendMissing,
      isModuleNotFound(error, 'fs-ext')
        ? `${prefix}, which is not installed; run \`npm install\` in your project, or \`npm install fs-ext\` if it is missing from package.json`
        : `${prefix}, which failed to load (${firstLineOf(error)}); run \`npm rebuild fs-ext\` in your project (with npm 11, first \`npm install-scripts approve fs-ext\`), which needs python3, make and a C++ compiler`,
      { spool, path: root, cause: error },
    );
  }
  if (typeof fsExt?.flockSync !== 'function') {
    // Another package in fs-ext's place, or a broken copy: not a lock failure.
    throw new SpoolError(
      SpoolErrorCode.BackendMissing,
      `cannot open spool '${spool}' at ${root}: the LocalDisk backend locks spools with the native module fs-ext, but the fs-ext it loaded has no flockSync() function; reinstall it with \`npm install fs-ext@2.1.1\` in your project and check \`npm ls fs-ext\` for another copy`,
      { spool, path: root },
    );
  }
  flockSync = fsExt.flockSync;
  return flockSync;
}
