import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";

/**
 * A TCP load balancer in front of several nodes: each new connection goes to the next upstream in turn,
 * skipping one that refuses (a node that was killed), which is what clients of a real cluster see.
 * `block()` makes it refuse and cut everything (an unreachable store); `blackhole()` accepts and then
 * forwards nothing (a network that drops packets).
 */
export class TcpBalancer {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private next = 0;
  private mode: "open" | "blocked" | "blackhole" = "open";
  port = 0;

  constructor(private upstreams: number[]) {
    this.server = createServer((client) => this.accept(client));
  }

  async listen(port = 0): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(port, "127.0.0.1", resolve));
    const address = this.server.address();
    this.port = typeof address === "object" && address ? address.port : 0;
    return `http://127.0.0.1:${this.port}`;
  }

  setUpstreams(ports: number[]): void {
    this.upstreams = ports;
  }

  block(): void {
    this.mode = "blocked";
    this.cutAll();
  }

  blackhole(): void {
    this.mode = "blackhole";
    this.cutAll();
  }

  open(): void {
    this.mode = "open";
  }

  async close(): Promise<void> {
    this.cutAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private cutAll(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.once("close", () => this.sockets.delete(socket));
    socket.on("error", () => {});
  }

  private accept(client: Socket): void {
    this.track(client);
    if (this.mode === "blocked") {
      client.destroy();
      return;
    }
    if (this.mode === "blackhole") return;
    client.pause();
    const attempt = (tried: number) => {
      if (tried >= this.upstreams.length) {
        client.destroy();
        return;
      }
      const port = this.upstreams[this.next++ % this.upstreams.length]!;
      const upstream = tcpConnect(port, "127.0.0.1");
      let connected = false;
      upstream.once("connect", () => {
        connected = true;
        this.track(upstream);
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
        client.once("close", () => upstream.destroy());
        upstream.once("close", () => client.destroy());
      });
      upstream.once("error", () => {
        if (!connected) attempt(tried + 1);
        else client.destroy();
      });
    };
    attempt(0);
  }
}

/** A free TCP port on 127.0.0.1 (bound and released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
