import { runCli } from "./cli/run.ts";
import { releaseAllLocks } from "./store/lock-registry.ts";

// Ctrl+C outside a prompt: leave no lock behind and exit with the conventional code.
process.on("SIGINT", () => {
  releaseAllLocks();
  console.error("\npi: interrupted");
  process.exit(130);
});

process.exitCode = await runCli(process.argv.slice(2));
