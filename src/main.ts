import { runCli } from "./cli/run.ts";
import { disableCoreDumps } from "./core/harden.ts";
import { installSignalHandlers } from "./core/shutdown.ts";

disableCoreDumps();
installSignalHandlers();
process.exitCode = await runCli(process.argv.slice(2));
