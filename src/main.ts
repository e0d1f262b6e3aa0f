import { runCli } from "./cli/run.ts";
import { excludeMemoryFromCoreDumps } from "./core/harden.ts";
import { installSignalHandlers } from "./core/shutdown.ts";

excludeMemoryFromCoreDumps();
installSignalHandlers();
process.exitCode = await runCli(process.argv.slice(2));
