// `pi --version` answers before anything else of pi loads: the hot paths' start-up is measured
// against a Bun hello-world (scripts/bench.ts), and this one should cost nothing beside it.
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === "--version" || args[0] === "-v" || args[0] === "version")) {
  process.exitCode = await (await import("./cli/version.ts")).printVersion();
} else {
  // No heap or stack in a core file of any pi (see core/harden.ts for the rest). Not awaited:
  // it completes long before anything secret is read. Here, not in harden.ts, so starting pi
  // loads nothing of the C library.
  if (process.platform === "linux") Bun.write("/proc/self/coredump_filter", "0").catch(() => {});
  // `pi token`, the call helpers make most, is answered at once where it can be (cli/quick-token.ts).
  const quick =
    args[0] === "token" || args[0] === "auth"
      ? await (await import("./cli/quick-token.ts")).quickToken(args, process.env)
      : undefined;
  // A quiet answer ends here: its output is flushed and nothing else is under way, so Bun's own
  // wind-down (a fortieth of a hello-world's start) is skipped. Anything else ends as usual.
  if (quick?.quiet) process.exit(quick.code);
  if (quick !== undefined) process.exitCode = quick.code;
  else {
    // The binary starts with the JIT held back (scripts/build.ts: run-once start-up code stays
    // in the interpreter); a pi still running after a moment (the session, the agent, a stream)
    // gets the normal JIT. Unref'd: it never keeps pi alive. Not for the quick path, which is
    // done in milliseconds (its first timer costs it more than the JIT could give).
    setTimeout(() => Bun.unsafe.setJITPolicy(1), 250).unref();
    const [{ runCli }, { hasAbandonedWork, installSignalHandlers }] = await Promise.all([
      import("./cli/run.ts"),
      import("./core/shutdown.ts"),
    ]);
    installSignalHandlers();
    process.exitCode = await runCli(args);
    // Output is written; what is left running was given up on (see abandonedWork).
    if (hasAbandonedWork()) setTimeout(() => process.exit(), 100);
  }
}
export {};
