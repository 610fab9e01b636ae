import path from 'node:path';

/** The absolute directories of the `data` and `meta` spools. */
export interface SpoolPaths {
  data: string;
  meta: string;
}

/** Returns whether `target` is `root` or lies below it; both absolute. */
export function isUnder(target: string, root: string): boolean {
  const relative = path.relative(root, target);
  return !relative.startsWith('..') && !path.isAbsolute(relative);
}

/**
 * Returns whether both spools lie under `root`, so that every entry in
 * them is the example's own. A policy that ignores `SPOOL_ROOT` puts them
 * elsewhere.
 */
export function spoolsUnder(paths: SpoolPaths, root: string): boolean {
  return isUnder(paths.data, root) && isUnder(paths.meta, root);
}
