import path from 'node:path';

/** Returns whether `target` is `root` or lies below it; both absolute. */
export function isUnder(target: string, root: string): boolean {
  const relative = path.relative(root, target);
  return !relative.startsWith('..') && !path.isAbsolute(relative);
}
