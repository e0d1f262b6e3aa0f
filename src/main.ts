import { runCli } from "./cli/run.ts";
import { installSignalHandlers } from "./core/shutdown.ts";

installSignalHandlers();
process.exitCode = await runCli(process.argv.slice(2));
