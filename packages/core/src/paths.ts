import path from 'node:path';

/**
 * Reports how two absolute spool paths overlap: `same` when they name one
 * directory, `nested` when one is inside the other, otherwise `undefined`.
 * Spools must not overlap either way, because a LocalDisk spool's cleanup
 * and enumeration walk everything under its `data/` folder.
 */
export function findPathOverlap(
  first: string,
  second: string,
): 'same' | 'nested' | undefined {
  const a = path.resolve(first);
  const b = path.resolve(second);
  if (a === b) {
    return 'same';
  }
  if (isInside(a, b) || isInside(b, a)) {
    return 'nested';
  }
  return undefined;
}

function isInside(child: string, parent: string): boolean {
  const relative = path.relative(parent, child);
  return (
    relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative)
  );
}

/** The message for two spools whose paths overlap, with the fix. */
export function describePathOverlap(
  overlap: 'same' | 'nested',
  first: { name: string; path: string },
  second: { name: string; path: string },
): string {
  if (overlap === 'same') {
    return `spools '${first.name}' and '${second.name}' both use the path ${second.path}; give each spool its own directory`;
  }
  return `spool '${second.name}' at ${second.path} and spool '${first.name}' at ${first.path} are nested, one inside the other; give each spool a directory of its own that contains no other spool`;
}
