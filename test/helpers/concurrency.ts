/**
 * How many of `holders` concurrent callers of `guard` were inside it at once, at the most:
 * each holds for a few milliseconds. 1 for a lock that works.
 */
export async function mostInsideAtOnce(
  holders: number,
  guard: (inside: () => Promise<void>) => Promise<unknown>,
): Promise<number> {
  let inside = 0;
  let most = 0;
  const hold = async () => {
    inside++;
    most = Math.max(most, inside);
    await Bun.sleep(5);
    inside--;
  };
  await Promise.all(Array.from({ length: holders }, () => guard(hold)));
  return most;
}
