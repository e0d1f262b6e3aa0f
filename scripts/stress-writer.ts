/**
 * A second kind of concurrent writer for scripts/stress.ts: logs in to and out of other
 * providers' entries in the same store, through pi's own store code (same lock, same
 * atomic write), while `pi token` processes refresh. Any lost update shows in the counts.
 *
 *   bun scripts/stress-writer.ts <auth.json> increment <n>      # provider "stress-b": count += 1, n times
 *   bun scripts/stress-writer.ts <auth.json> login-logout <id>  # add "stress-c-<id>", then remove it
 */
import { FileStore } from "../src/store/file/store.ts";

const [path, mode, arg] = process.argv.slice(2);
if (!path || !mode || !arg) {
  console.error("usage: stress-writer.ts <auth.json> increment <n> | login-logout <id>");
  process.exit(2);
}
const store = new FileStore(path, process.env);

if (mode === "increment") {
  for (let i = 0; i < Number(arg); i++) {
    await store.update(async (data) => {
      const entry = (data["stress-b"] ?? { type: "oauth", refresh: "b", access: "b", expires: 0, count: 0 }) as {
        count: number;
      };
      data["stress-b"] = { ...entry, count: entry.count + 1 };
      return { value: undefined, changed: true };
    });
  }
} else if (mode === "login-logout") {
  const key = `stress-c-${arg}`;
  await store.update(async (data) => {
    data[key] = { type: "oauth", refresh: key, access: key, expires: Date.now() + 3600_000 };
    return { value: undefined, changed: true };
  });
  await Bun.sleep(Math.random() * 50);
  await store.update(async (data) => {
    delete data[key];
    return { value: undefined, changed: true };
  });
} else {
  console.error(`unknown mode ${mode}`);
  process.exit(2);
}
