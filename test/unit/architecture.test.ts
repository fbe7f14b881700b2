/**
 * The layering of DESIGN §10, enforced on every import, type-only ones included (a type of
 * a lower layer's internals in a higher layer's signature is the same coupling, and it ships
 * in the library's .d.ts): data flows HTTP → context → resolvers → identity → store, and the
 * library (subgraph/, index.ts) pulls in no store and no identity service.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const SRC = resolve(__dirname, "..", "..", "src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith(".ts") ? [path] : [];
  });
}

interface Edge {
  from: string;
  to: string;
  typeOnly: boolean;
}

const IMPORT = /^(import|export)\s+(type\s+)?[^'"]*?from\s+["'](\.[^"']+)["'];?$/gm;

function edgesOf(file: string): Edge[] {
  const text = readFileSync(file, "utf8");
  const edges: Edge[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const target = resolve(dirname(file), m[3]!);
    const to = [`${target}.ts`, join(target, "index.ts")].find((p) => {
      try {
        return statSync(p).isFile();
      } catch {
        return false;
      }
    });
    if (to)
      edges.push({
        from: relative(SRC, file),
        to: relative(SRC, to),
        typeOnly: m[2] !== undefined,
      });
  }
  return edges;
}

const files = sourceFiles(SRC);
const edges = files.flatMap(edgesOf);
const layer = (path: string) => path.split("/")[0]!;

const FRONT_DOORS = ["graphql", "http", "oidc", "cognito"];

/** Imports from `fromLayer` into any of `forbidden`; type-only ones count unless `valuesOnly`. */
function violations(fromLayer: string, forbidden: string[], valuesOnly = false): string[] {
  return edges
    .filter(
      (e) =>
        layer(e.from) === fromLayer &&
        !(valuesOnly && e.typeOnly) &&
        forbidden.includes(layer(e.to)),
    )
    .map((e) => `${e.from} → ${e.to}${e.typeOnly ? " (type)" : ""}`);
}

/** The GraphQL door of http/ (GraphQL over HTTP) is the one http/ file that may use graphql/. */
const HTTP_GRAPHQL_DOOR = "http/graphql.ts";

describe("architecture", () => {
  it("finds the source files and their imports, type-only ones included", () => {
    expect(files.length).toBeGreaterThan(20);
    expect(edges.length).toBeGreaterThan(50);
    expect(edges.filter((e) => e.typeOnly).length).toBeGreaterThan(20);
  });

  it("keeps tokens/ pure: no store, identity or front door, not even a type", () => {
    expect(violations("tokens", ["store", "identity", ...FRONT_DOORS])).toEqual([]);
  });

  it("keeps store/ below identity and the front doors, types included", () => {
    expect(violations("store", ["identity", ...FRONT_DOORS])).toEqual([]);
  });

  it("keeps identity/ independent of the front doors, types included", () => {
    expect(violations("identity", FRONT_DOORS)).toEqual([]);
  });

  it("keeps subgraph/ (the library) free of the store, identity and the gateway's front doors, types included", () => {
    expect(violations("subgraph", ["store", "identity", ...FRONT_DOORS])).toEqual([]);
    expect(
      edges
        .filter((e) => layer(e.from) === "subgraph" && ["server.ts", "cli.ts"].includes(e.to))
        .map((e) => `${e.from} → ${e.to}`),
    ).toEqual([]);
  });

  it("keeps delivery/ at the edge: no store, identity, front door or library code, not even a type (config, errors and log only)", () => {
    expect(edges.filter((e) => layer(e.from) === "delivery").length).toBeGreaterThan(5);
    expect(
      violations("delivery", ["store", "identity", "subgraph", "tokens", ...FRONT_DOORS]),
    ).toEqual([]);
    expect(
      edges
        .filter((e) => layer(e.from) === "delivery" && !e.to.includes("/"))
        .map((e) => e.to)
        .filter((to) => !["config.ts", "errors.ts", "log.ts"].includes(to)),
    ).toEqual([]);
  });

  it("lets identity/ know delivery/ only through its port (delivery/message.ts) and the pure address mask, never a sender", () => {
    // maskEmail is what CodeDeliveryDetails shows (a***@e***.com) as well as what delivery logs.
    const allowed = [" → delivery/message.ts", " → delivery/mask.ts"];
    expect(
      edges
        .filter((e) => layer(e.from) === "identity" && layer(e.to) === "delivery")
        .map((e) => `${e.from} → ${e.to}`)
        .filter((edge) => !allowed.some((end) => edge.endsWith(end))),
    ).toEqual([]);
    expect(
      edges.some((e) => e.from === "identity/users.ts" && e.to === "delivery/message.ts"),
    ).toBe(true);
  });

  it("lets the front doors reach the store only through identity/, types included (they see identity/views.ts, never a row)", () => {
    expect(FRONT_DOORS.flatMap((door) => violations(door, ["store"]))).toEqual([]);
  });

  it("keeps http/ out of graphql/ (types included) but for its GraphQL door, and graphql/ off http/ values", () => {
    expect(
      violations("http", ["graphql"]).filter((v) => !v.startsWith(`${HTTP_GRAPHQL_DOOR} `)),
    ).toEqual([]);
    expect(violations("graphql", ["http"], true)).toEqual([]);
  });

  it("builds the library entry point (index.ts) without any store or identity code or type", () => {
    const seen = new Set<string>();
    const stack = ["index.ts"];
    while (stack.length > 0) {
      const file = stack.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      for (const e of edges) if (e.from === file) stack.push(e.to);
    }
    expect(seen.has("subgraph/index.ts")).toBe(true);
    expect(
      [...seen].filter((f) => ["store", "identity", ...FRONT_DOORS].includes(layer(f))),
    ).toEqual([]);
  });

  it("exports the library from subgraph/ only", () => {
    expect(edges.filter((e) => e.from === "index.ts").map((e) => e.to)).toEqual([
      "subgraph/index.ts",
    ]);
  });
});
