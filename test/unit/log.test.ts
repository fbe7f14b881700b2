/** The request-scoped logger: built only when a line is written, redacting like its parent. */
import { Writable } from "node:stream";
import { createLogger, lazyChild } from "../../src/log";

function capture(level: "info" | "warn") {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: createLogger({ logLevel: level }, destination), lines };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe("lazyChild", () => {
  it("writes a line with the request's bindings, secrets censored", async () => {
    const { logger, lines } = capture("info");
    const log = lazyChild(logger, { requestId: "r-1" });
    log.info({ refreshToken: "eyJ.secret", clientId: "c1" }, "refreshed");
    await flush();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      requestId: "r-1",
      clientId: "c1",
      refreshToken: "[redacted]",
      msg: "refreshed",
    });
  });

  it("a call at a level that is off writes nothing and builds no child", async () => {
    const { logger, lines } = capture("warn");
    const child = jest.spyOn(logger, "child");
    const log = lazyChild(logger, { requestId: "r-2" });
    log.info({ clientId: "c1" }, "issued");
    log.debug("detail");
    await flush();
    expect(lines).toHaveLength(0);
    expect(child).not.toHaveBeenCalled();
    log.warn("then a warning");
    await flush();
    expect(child).toHaveBeenCalledTimes(1);
    expect(lines).toEqual([expect.objectContaining({ requestId: "r-2", msg: "then a warning" })]);
  });
});
