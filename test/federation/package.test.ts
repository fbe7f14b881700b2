/**
 * The library as another package sees it (issue 6, part 2): `poolgate` resolved through
 * node_modules and the "exports" map to the built dist/ (so `npm run build` must have run),
 * from CommonJS and ESM, with its types, and without reaching into the gateway's internals.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ts from "typescript";
import { ROOT } from "./support";

let dir: string;

function node(file: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [file], { cwd: dir, timeout: 20_000 }, (error, stdout, stderr) => {
      resolve({
        code: error ? (typeof error.code === "number" ? error.code : 1) : 0,
        stdout,
        stderr,
      });
    });
  });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "poolgate-consumer-"));
  mkdirSync(join(dir, "node_modules"));
  symlinkSync(ROOT, join(dir, "node_modules", "poolgate"), "dir");
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "consumer", private: true }));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('the "poolgate" package from another package', () => {
  it("exports the library from CommonJS and ESM, and nothing of the gateway's internals", async () => {
    writeFileSync(
      join(dir, "cjs.js"),
      `const lib = require("poolgate");
       let internal = "reachable";
       try { require("poolgate/dist/server"); } catch (e) { internal = e.code; }
       console.log(JSON.stringify({ keys: Object.keys(lib).sort(), internal }));`,
    );
    writeFileSync(
      join(dir, "esm.mjs"),
      `import { createVerifier, createAuthContext, authDirectives } from "poolgate";
       console.log(JSON.stringify([typeof createVerifier, typeof createAuthContext, typeof authDirectives]));`,
    );
    const cjs = await node("cjs.js");
    expect(cjs.stderr).toBe("");
    expect(JSON.parse(cjs.stdout)).toEqual({
      keys: [
        "PoolgateError",
        "authDirectives",
        "authDirectivesTypeDefs",
        "createAuthContext",
        "createTokenProvider",
        "createVerifier",
      ],
      internal: "ERR_PACKAGE_PATH_NOT_EXPORTED",
    });
    const esm = await node("esm.mjs");
    expect(esm.stderr).toBe("");
    expect(JSON.parse(esm.stdout)).toEqual(["function", "function", "function"]);
  });

  it("loads without opening a store or starting anything (the library pulls in no gateway code)", async () => {
    writeFileSync(
      join(dir, "modules.js"),
      `require("poolgate");
       const loaded = Object.keys(require.cache).filter((p) => p.includes("/dist/"));
       console.log(JSON.stringify(loaded.map((p) => p.slice(p.indexOf("/dist/") + 6))));`,
    );
    const run = await node("modules.js");
    const loaded = JSON.parse(run.stdout) as string[];
    expect(loaded).toContain("index.js");
    expect(loaded.filter((p) => /^(store|identity|http)\/|^server\.js$|^cli\.js$/.test(p))).toEqual(
      [],
    );
  });

  it("type-checks a consumer against the published types (moduleResolution nodenext)", () => {
    const file = join(dir, "consumer.ts");
    writeFileSync(
      file,
      `import {
         authDirectives, createAuthContext, createVerifier,
         type AuthContext, type Principal, type Verifier, type VerifierOptions,
       } from "poolgate";
       const options: VerifierOptions = {
         issuer: "https://auth.example.com",
         clientIds: ["web"],
         algorithms: ["RS256"],
         introspection: { clientId: "svc", clientSecret: "s", cacheTtlSeconds: 5, cacheSize: 1000 },
       };
       const verifier: Verifier = createVerifier(options);
       const context: (args: { req: { headers: Record<string, string | string[] | undefined> } }) => Promise<AuthContext> =
         createAuthContext(verifier);
       export const plugin = authDirectives({ mode: "reject" });
       export async function who(headers: Record<string, string>): Promise<Principal | null> {
         const { principal } = await context({ req: { headers } });
         return principal && principal.scopes.has("orders/read") ? principal : null;
       }
       // @ts-expect-error clientIds is required: accepting every client must be said with null
       createVerifier({ issuer: "https://auth.example.com" });`,
    );
    const program = ts.createProgram([file], {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: [],
    });
    const diagnostics = ts
      .getPreEmitDiagnostics(program)
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    expect(diagnostics).toEqual([]);
    const resolved = program
      .getSourceFiles()
      .map((f) => f.fileName)
      .find((f) => f.endsWith("dist/index.d.ts"));
    expect(resolved).toBeDefined();
  });
});
