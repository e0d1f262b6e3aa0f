/**
 * Locks this process holds, so an exit in the middle of a locked section (Ctrl+C) can
 * release them and let waiting processes go on at once. Kept apart from lock.ts so the
 * entry point can reach it without loading node:fs.
 */
const held = new Set<() => void>();

export function trackLock(release: () => void): void {
  held.add(release);
}

export function untrackLock(release: () => void): void {
  held.delete(release);
}

export function releaseAllLocks(): void {
  for (const release of [...held]) release();
}
