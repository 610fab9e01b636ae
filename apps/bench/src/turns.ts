/**
 * Runs `turn(side, slice)` once per side in each of `slices` slices. The
 * side that goes first swaps every slice (a b, b a, a b, …). Over a run,
 * both sides then meet each stretch of the machine's speed, such as a
 * burst of kernel writeback, about equally often, and neither always
 * follows the other.
 */
export async function takeTurns<T>(
  sides: readonly [T, T],
  slices: number,
  turn: (side: T, slice: number) => Promise<void>,
): Promise<void> {
  const [first, second] = sides;
  for (let slice = 0; slice < slices; slice++) {
    const order = slice % 2 === 0 ? [first, second] : [second, first];
    for (const side of order) {
      await turn(side, slice);
    }
  }
}

/** Returns the part of `items` that slice `slice` of `slices` covers; every item falls in exactly one part. */
export function sliceOf<T>(
  items: readonly T[],
  slice: number,
  slices: number,
): readonly T[] {
  const start = Math.floor((items.length * slice) / slices);
  const end = Math.floor((items.length * (slice + 1)) / slices);
  return items.slice(start, end);
}
