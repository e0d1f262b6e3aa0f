import { runCli } from "./cli/run.ts";
import { hasAbandonedWork, installSignalHandlers } from "./core/shutdown.ts";

// No heap or stack in a core file of any pi (see core/harden.ts for the rest). Not awaited:
// it completes long before anything secret is read. Here, not in harden.ts, so starting pi
// loads nothing of the C library.
if (process.platform === "linux") Bun.write("/proc/self/coredump_filter", "0").catch(() => {});
installSignalHandlers();
process.exitCode = await runCli(process.argv.slice(2));
// Output is written; what is left running was given up on (see abandonedWork).
if (hasAbandonedWork()) setTimeout(() => process.exit(), 100);
