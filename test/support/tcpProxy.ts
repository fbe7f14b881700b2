/**
 * A TCP proxy between one process and a server, to fake an outage of that server for that
 * process alone: other tests share the real PostgreSQL server and must not see it go down.
 * `cut()` destroys every live connection and answers new ones by closing them at once (as a
 * server that died and whose port a supervisor still holds); `blackhole()` leaves every
 * connection open but carries nothing either way, and accepts new connections that never hear
 * back (a partition, a dropped NAT flow: nobody is told, the client waits); `restore()` forwards
 * again — paused connections resume, those accepted into the black hole are closed.
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
  readonly isBlackholed: boolean;
  /** `url` with its host and port replaced by the proxy's. */
  rewrite(url: string): string;
  cut(): void;
  blackhole(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(
  target: { host: string; port: number } = { host: "127.0.0.1", port: 5432 },
): Promise<TcpProxy> {
  const live = new Set<Socket>();
  /** Connections accepted during a black hole: read from, never answered. */
  const swallowed = new Set<Socket>();
  /** Each forwarded socket's other end, to pipe them again after a black hole. */
  const pairs = new WeakMap<Socket, Socket>();
  let cut = false;
  let blackholed = false;
  let refused = 0;

  const server: Server = createServer((downstream) => {
    if (cut) {
      refused++;
      downstream.destroy();
      return;
    }
    if (blackholed) {
      swallowed.add(downstream);
      downstream.on("error", () => downstream.destroy());
      downstream.on("close", () => swallowed.delete(downstream));
      downstream.resume(); // read and drop: what the client sends goes nowhere
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
    pairs.set(downstream, upstream);
    pairs.set(upstream, downstream);
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
    get isBlackholed() {
      return blackholed;
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
    blackhole() {
      blackholed = true;
      // pipe() resumes a source when its destination drains; unpiping first keeps them still.
      for (const socket of live) {
        socket.unpipe();
        socket.pause();
      }
    },
    restore() {
      cut = false;
      if (blackholed) {
        blackholed = false;
        for (const socket of [...swallowed]) socket.destroy();
        swallowed.clear();
        for (const socket of live) {
          const peer = pairs.get(socket);
          if (peer) socket.pipe(peer);
        }
      }
    },
    close() {
      cut = true;
      for (const socket of [...live, ...swallowed]) socket.destroy();
      live.clear();
      swallowed.clear();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
