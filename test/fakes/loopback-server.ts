/** What every fake server shares: listening on 127.0.0.1, a free port, one handler. */
export abstract class LoopbackServer {
  private server!: ReturnType<typeof Bun.serve>;

  protected abstract handle(req: Request): Promise<Response>;

  start(): this {
    this.server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: (req) => this.handle(req) });
    return this;
  }

  stop(): void {
    this.server.stop(true);
  }

  get url(): string {
    return `http://127.0.0.1:${this.server.port}`;
  }
}
