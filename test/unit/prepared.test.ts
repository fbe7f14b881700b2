/**
 * The two halves of src/graphql/prepared.ts that stand alone: `arm` (the path serves only
 * when Apollo runs exactly the gateway's plugin list) and the error formatting it shares
 * with Apollo, checked against Apollo Server 5's own normalizeAndFormatErrors for random
 * errors, `extensions.http` heads set twice included.
 */
import { dirname, join } from "node:path";
import { HeaderMap, type ApolloServerPlugin } from "@apollo/server";
import fc from "fast-check";
import { GraphQLError, type GraphQLFormattedError } from "graphql";
import type { GatewayContext } from "../../src/graphql/context";
import {
  formatErrors,
  gatewayPlugin,
  inertOnPreparedPath,
  PreparedOperations,
  type GatewayPlugin,
} from "../../src/graphql/prepared";

// Not in the package's exports map, so loaded by file: the function Apollo runs on every error.
const { normalizeAndFormatErrors } = require(
  join(dirname(require.resolve("@apollo/server")), "errorNormalize.js"),
) as {
  normalizeAndFormatErrors(
    errors: readonly unknown[],
    options: { formatError?: (f: GraphQLFormattedError, e: unknown) => GraphQLFormattedError },
  ): {
    formattedErrors: GraphQLFormattedError[];
    httpFromErrors: { status?: number; headers: HeaderMap };
  };
};

describe("arm: the path serves only when Apollo runs exactly the gateway's list", () => {
  const prepared = new PreparedOperations();
  const own: GatewayPlugin[] = [
    prepared.recorder,
    gatewayPlugin("a", () => ({})),
    inertOnPreparedPath("b", { __internal_plugin_id__: "CacheControl" } as never),
  ];
  const apollo = own.map((p) => p.apollo);
  const foreign: ApolloServerPlugin<GatewayContext> = { async requestDidStart() {} };
  const implicitLandingPage = {
    __internal_installed_implicitly__: true,
    async serverWillStart() {},
  };

  it.each<[string, readonly unknown[] | undefined, boolean]>([
    ["the list itself", apollo, true],
    [
      "the list and Apollo's implicit landing page (no request hook)",
      [...apollo, implicitLandingPage],
      true,
    ],
    ["one more plugin at the end (addPlugin)", [...apollo, foreign], false],
    ["one more plugin first (Apollo's usage reporting is unshifted)", [foreign, ...apollo], false],
    [
      "an implicitly installed plugin with a request hook",
      [...apollo, { ...implicitLandingPage, requestDidStart: async () => undefined }],
      false,
    ],
    ["one plugin missing", apollo.slice(1), false],
    ["the same plugins in another order", [apollo[1], apollo[0], apollo[2]], false],
    ["plugins that cannot be read", undefined, false],
  ])("%s", (_name, installed, armed) => {
    expect(prepared.arm(own, installed).armed).toBe(armed);
  });

  it("counts the plugins outside the list", () => {
    expect(prepared.arm(own, [foreign, ...apollo, foreign]).foreign).toBe(2);
  });

  it("is off when the path is switched off, whatever Apollo runs", () => {
    const off = new PreparedOperations({ maxDocuments: 0 });
    expect(off.arm([off.recorder], [off.recorder.apollo]).armed).toBe(false);
  });
});

describe("errors are formatted as Apollo Server formats them", () => {
  const name = fc.constantFrom("x-a", "X-A", "vary", "Vary", "retry-after", "content-type");
  const head = fc.oneof(
    fc.constant(undefined),
    fc.constant(null),
    fc.constant("not a head"),
    fc.record(
      {
        status: fc.oneof(
          fc.constant(undefined),
          fc.constantFrom(0, 200, 401, 418, 503),
          fc.constant("503"),
        ),
        headers: fc.oneof(
          fc.constant(undefined),
          fc.constant({ "x-a": "object, not a Map" }),
          fc
            .array(fc.tuple(name, fc.string({ maxLength: 6 })), { maxLength: 3 })
            .chain((pairs) => fc.constantFrom(new Map(pairs), new HeaderMap(pairs))),
        ),
      },
      { requiredKeys: [] },
    ),
  );
  const error = fc.record({
    message: fc.string({ maxLength: 10 }),
    code: fc.constantFrom(undefined, "BAD_USER_INPUT", "FORBIDDEN"),
    http: head,
    other: fc.option(fc.integer(), { nil: undefined }),
  });
  // A formatError that keeps what it is given, and one that throws for some errors.
  const formatters: Array<(f: GraphQLFormattedError, e: unknown) => GraphQLFormattedError> = [
    (f) => f,
    (f) => {
      if (f.message.startsWith("!")) throw new Error("formatter failed");
      return { ...f, extensions: { ...f.extensions, seen: true } };
    },
  ];

  function build(s: { message: string; code?: string; http?: unknown; other?: number }) {
    const extensions: Record<string, unknown> = {};
    if (s.code !== undefined) extensions["code"] = s.code;
    if (s.http !== undefined) extensions["http"] = s.http;
    if (s.other !== undefined) extensions["other"] = s.other;
    return new GraphQLError(s.message, { extensions, path: ["field"] });
  }

  it("the same errors, status and headers (a later value wins), for any errors", () => {
    fc.assert(
      fc.property(
        fc.array(error, { maxLength: 4 }),
        fc.integer({ min: 0, max: formatters.length - 1 }),
        (specs, which) => {
          const formatError = formatters[which]!;
          // Each side gets errors of its own: both take `http` out of a copy, not the error.
          const theirs = normalizeAndFormatErrors(specs.map(build), { formatError });
          const head = { status: undefined as number | undefined, headers: new HeaderMap() };
          const ours = formatErrors(specs.map(build), head, formatError);
          expect(ours).toEqual(theirs.formattedErrors);
          expect(head.status).toBe(theirs.httpFromErrors.status);
          expect([...head.headers]).toEqual([...theirs.httpFromErrors.headers]);
        },
      ),
      { numRuns: 500, seed: 20261202 },
    );
  });

  it("two errors setting one header: the later one's value, once", () => {
    const e = (value: string, status: number) =>
      new GraphQLError(value, {
        extensions: { http: { status, headers: new HeaderMap([["retry-after", value]]) } },
      });
    const head = { status: undefined as number | undefined, headers: new HeaderMap() };
    formatErrors([e("1", 429), e("2", 503)], head, (f) => f);
    expect(head.status).toBe(503);
    expect([...head.headers]).toEqual([["retry-after", "2"]]);
  });
});
