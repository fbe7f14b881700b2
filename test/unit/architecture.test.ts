/**
 * The layering of DESIGN §10, enforced: data flows HTTP → context → resolvers → identity →
 * store, and the library entry point pulls in no store. Type-only imports are allowed across
 * layers (they vanish at run time); value imports are not.
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

function violations(fromLayer: string, forbidden: string[]): string[] {
  return edges
    .filter((e) => layer(e.from) === fromLayer && !e.typeOnly && forbidden.includes(layer(e.to)))
    .map((e) => `${e.from} → ${e.to}`);
}

describe("architecture", () => {
  it("finds the source files and their imports", () => {
    expect(files.length).toBeGreaterThan(20);
    expect(edges.length).toBeGreaterThan(50);
  });

  it("keeps tokens/ pure: no store, identity, graphql or http", () => {
    expect(violations("tokens", ["store", "identity", "graphql", "http"])).toEqual([]);
  });

  it("keeps store/ below identity, graphql and http", () => {
    expect(violations("store", ["identity", "graphql", "http"])).toEqual([]);
  });

  it("keeps identity/ independent of graphql and http", () => {
    expect(violations("identity", ["graphql", "http"])).toEqual([]);
  });

  it("lets graphql/ and http/ reach the store only through identity/", () => {
    expect([
      ...violations("graphql", ["store", "http"]),
      ...violations("http", ["store", "graphql"]),
    ]).toEqual([]);
  });

  it("builds the library entry point (index.ts) without any store or identity code", () => {
    const seen = new Set<string>();
    const stack = ["index.ts"];
    while (stack.length > 0) {
      const file = stack.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      for (const e of edges) if (e.from === file && !e.typeOnly) stack.push(e.to);
    }
    expect([...seen].filter((f) => ["store", "identity"].includes(layer(f)))).toEqual([]);
  });
});
