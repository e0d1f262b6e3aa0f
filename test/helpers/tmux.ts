/** Driving pi on a real terminal: tmux runs it, send-keys types, capture-pane reads the screen. */
export const hasTmux = Bun.spawnSync(["sh", "-c", "command -v tmux"]).success;

export class TmuxSession {
  private readonly name = `pi-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  private readonly socket: string[];

  constructor(socketDir: string) {
    this.socket = ["-S", `${socketDir}/tmux.sock`];
  }

  /**
   * Runs `command` in a new pane; `then` is what the pane's shell runs after it (by default it
   * waits, so the last screen stays readable).
   */
  start(command: string[], env: Record<string, string>, size = { width: 160, height: 50 }, then = "sleep 600"): void {
    // env -i: the program sees exactly `env`, not what the tmux server inherited (CI=true, say).
    const argv = ["env", "-i", ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...command];
    const quoted = argv.map((c) => `'${c.replaceAll("'", `'\\''`)}'`).join(" ");
    // The wrapper shell traps (not ignores) SIGINT, so Ctrl+C reaches pi but does not end the
    // shell that reports pi's exit code; a trapped signal is reset to default in pi itself.
    const script = `trap : INT; ${quoted}; echo "[exit $?]"; ${then}`;
    // No user config, and OSC 52 (clipboard) kept away from tmux: tmux 3.3 has crashed here when
    // a program wrote one while the screen was being captured.
    this.tmux([
      "-f",
      "/dev/null",
      "new-session",
      "-d",
      "-s",
      this.name,
      "-x",
      String(size.width),
      "-y",
      String(size.height),
      "sh",
      "-c",
      script,
      ";",
      "set-option",
      "-g",
      "set-clipboard",
      "off",
    ]);
  }

  /** The screen, wrapped lines joined. */
  screen(): string {
    return this.tmux(["capture-pane", "-p", "-J", "-t", this.name]);
  }

  /** The screen with its colour codes, to check what NO_COLOR leaves out. */
  screenWithEscapes(): string {
    return this.tmux(["capture-pane", "-p", "-e", "-t", this.name]);
  }

  resize(width: number, height: number): void {
    this.tmux(["resize-window", "-t", this.name, "-x", String(width), "-y", String(height)]);
  }

  async waitFor(pattern: RegExp, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = this.screen();
      if (pattern.test(text)) return text;
      if (Date.now() > deadline) throw new Error(`screen never showed ${pattern}:\n${text}`);
      await Bun.sleep(50);
    }
  }

  /** Keys by tmux name (Enter, C-c, Escape) or literal text with literal=true. */
  send(keys: string, literal = false): void {
    this.tmux(["send-keys", "-t", this.name, ...(literal ? ["-l"] : []), keys]);
  }

  /** A real paste: tmux wraps it in bracketed-paste markers when the program asked for them. */
  paste(text: string): void {
    this.tmux(["set-buffer", "--", text]);
    this.tmux(["paste-buffer", "-p", "-t", this.name]);
  }

  /** The pid of the program started in the pane (a child of the pane's shell). */
  programPid(): number | undefined {
    const shell = this.tmux(["display", "-p", "-t", this.name, "#{pane_pid}"]).trim();
    const child = Bun.spawnSync(["pgrep", "-P", shell], { stdout: "pipe" }).stdout.toString().trim().split("\n")[0];
    return child ? Number(child) : undefined;
  }

  /** Whether the terminal shows its cursor (a program may have hidden it). */
  cursorVisible(): boolean {
    return this.tmux(["display", "-p", "-t", this.name, "#{cursor_flag}"]).trim() === "1";
  }

  stop(): void {
    Bun.spawnSync(["tmux", ...this.socket, "kill-server"]);
  }

  private tmux(args: string[]): string {
    const r = Bun.spawnSync(["tmux", ...this.socket, ...args], { stderr: "pipe" });
    if (!r.success) throw new Error(`tmux ${args[0]} failed: ${r.stderr.toString()}`);
    return r.stdout.toString();
  }
}
