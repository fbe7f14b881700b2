/**
 * A TCP proxy between one process and a server, to fake an outage of that server for that
 * process alone: other tests share the real PostgreSQL server and must not see it go down.
 * `cut()` destroys every live connection and answers new ones by closing them at once (as a
 * server that died and whose port a supervisor still holds); `restore()` forwards again.
 */
import { createConnection, createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";

export interface TcpProxy {
  /** The port the proxy listens on, on 127.0.0.1. */
  readonly port: number;
  /** Connections forwarded right now. */
  readonly liveConnections: number;
  /** Connections refused since the last cut(). */
  readonly refusedConnections: number;
  readonly isCut: boolean;
  /** `url` with its host and port replaced by the proxy's. */
  rewrite(url: string): string;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(
  target: { host: string; port: number } = { host: "127.0.0.1", port: 5432 },
): Promise<TcpProxy> {
  const live = new Set<Socket>();
  let cut = false;
  let refused = 0;

  const server: Server = createServer((downstream) => {
    if (cut) {
      refused++;
      downstream.destroy();
      return;
    }
    const upstream = createConnection(target);
    live.add(downstream);
    live.add(upstream);
    const drop = () => {
      live.delete(downstream);
      live.delete(upstream);
      downstream.destroy();
      upstream.destroy();
    };
    // Either side failing or closing ends the pair; errors are the point here, not news.
    downstream.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
    downstream.pipe(upstream);
    upstream.pipe(downstream);
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    port,
    get liveConnections() {
      // Two sockets per forwarded connection.
      return live.size / 2;
    },
    get refusedConnections() {
      return refused;
    },
    get isCut() {
      return cut;
    },
    rewrite(url) {
      const parsed = new URL(url);
      parsed.hostname = "127.0.0.1";
      parsed.port = String(port);
      return parsed.toString();
    },
    cut() {
      cut = true;
      refused = 0;
      for (const socket of [...live]) socket.destroy();
      live.clear();
    },
    restore() {
      cut = false;
    },
    close() {
      cut = true;
      for (const socket of [...live]) socket.destroy();
      live.clear();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
