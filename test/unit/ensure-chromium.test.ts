/**
 * `npm test`'s pre-test step (scripts/ensure-chromium.js, issue 13 #5): with Chromium present
 * it does nothing; with it missing it installs Debian's package as root, and as anyone else
 * fails with the one command to run. The machine's Chromium stays installed: the path the
 * script checks is pointed at a missing file, and --dry-run prints the install instead.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const SCRIPT = resolve(__dirname, "..", "..", "scripts", "ensure-chromium.js");
const INSTALL = "apt-get update && apt-get install -y chromium";

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], chromiumPath: string): Promise<Run> {
  return new Promise((done) => {
    execFile(
      command,
      args,
      { env: { ...process.env, POOLGATE_TEST_CHROMIUM_PATH: chromiumPath }, timeout: 20_000 },
      (error, stdout, stderr) =>
        done({
          code: error ? (typeof error.code === "number" ? error.code : 1) : 0,
          stdout,
          stderr,
        }),
    );
  });
}

const isRoot = process.getuid?.() === 0;
const hasAptGet = ["/usr/bin/apt-get", "/bin/apt-get"].some((p) => existsSync(p));
let dir: string;
let missing: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "poolgate-ensure-chromium-"));
  missing = join(dir, "no-chromium-here");
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("scripts/ensure-chromium.js", () => {
  it("does nothing when the browser is there", async () => {
    const result = await run(process.execPath, [SCRIPT, "--dry-run"], process.execPath);
    expect(result).toEqual({ code: 0, stdout: "", stderr: "" });
  });

  it("installs Debian's chromium when it is missing and it runs as root (dry run)", async () => {
    expect(hasAptGet).toBe(true);
    if (!isRoot) return; // the non-root branch is the next test's
    const result = await run(process.execPath, [SCRIPT, "--dry-run"], missing);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      `ensure-chromium: ${missing} is missing; would run (as root): ${INSTALL}\n`,
    );
  });

  it("fails with the one command to run when it is missing and it is not root", async () => {
    // As root, drop to nobody (setpriv, util-linux) to take the other branch for real.
    const result = isRoot
      ? await run(
          "setpriv",
          ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, SCRIPT],
          missing,
        )
      : await run(process.execPath, [SCRIPT], missing);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(`Chromium at ${missing}`);
    expect(result.stderr).toContain(`sudo sh -c '${INSTALL}'`);
  });
});
