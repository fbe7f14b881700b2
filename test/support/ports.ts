/**
 * A free loopback port, for a gateway whose POOLGATE_ISSUER must name its own URL before it
 * starts (openid-client and oidc-client-ts check the discovered issuer against it).
 */
import { createServer, type AddressInfo } from "node:net";

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
