/**
 * The prepared path fails closed (docs/decisions.md, "Prepared operations"): it serves only
 * while Apollo Server runs exactly the gateway's plugin list (src/graphql/apollo.ts
 * `gatewayPlugins`). A plugin registered any other way (here through
 * GatewayOptions.apolloPlugins, as an embedding would) turns it off, so that plugin sees
 * every request; the gateway's own configurations, development and production, keep it on.
 */
import type { ApolloServerPlugin } from "@apollo/server";
import { loadConfig } from "../../src/config";
import type { GatewayContext } from "../../src/graphql/context";
import { createLogger } from "../../src/log";
import { createGateway, type Gateway } from "../../src/server";
import { createClient, createUser, signInAs, startGateway, type TestGateway } from "../harness";
import { postRaw } from "../support/raw";

let a: TestGateway;
let token: string;

beforeAll(async () => {
  a = await startGateway();
  const client = await createClient(a);
  const alice = await createUser(a, { attributes: { email: "alice@example.com" } });
  token = (await signInAs(a, client, alice, ["openid", "email"])).accessToken;
});
afterAll(() => a.close());

interface Started {
  gateway: Gateway;
  url: string;
  logs: Array<{ msg: string; foreignPlugins?: number }>;
}

/** A second gateway on a's store, with extra Apollo plugins and environment. */
async function startOnA(
  apolloPlugins: ApolloServerPlugin<GatewayContext>[],
  env: Record<string, string> = {},
): Promise<Started> {
  const config = loadConfig({ ...a.env, POOLGATE_LOG_LEVEL: "warn", ...env });
  const logs: Started["logs"] = [];
  const logger = createLogger(config, {
    write: (line: string) => void logs.push(JSON.parse(line)),
  });
  const gateway = await createGateway({ config, logger, apolloPlugins });
  return { gateway, url: await gateway.listen(), logs };
}

const servedBy = async (gateway: Gateway) => {
  const { body } = await gateway.metrics.render();
  const line = body
    .split("\n")
    .find((l) => l.startsWith("poolgate_graphql_prepared_operations_total "));
  return line === undefined ? 0 : Number(line.split(" ")[1]);
};

const headers = () => ({ "content-type": "application/json", authorization: `Bearer ${token}` });

test("attack: a plugin registered outside the gateway's list is not bypassed by the prepared path", async () => {
  // An audit plugin, as an embedding would add one: it must see every request.
  const seen = { started: 0, resolved: [] as Array<string | null>, sent: 0 };
  const audit: ApolloServerPlugin<GatewayContext> = {
    async requestDidStart() {
      seen.started++;
      return {
        async didResolveOperation({ operationName }) {
          seen.resolved.push(operationName);
        },
        async willSendResponse() {
          seen.sent++;
        },
      };
    },
  };
  const b = await startOnA([audit]);
  try {
    const body = JSON.stringify({ query: "query Audited { me { email } }" });
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await postRaw(b.url, body, headers()));
    for (const answer of answers) expect(answer).toEqual(answers[0]);
    expect(JSON.parse(answers[0]!.text)).toEqual({ data: { me: { email: "alice@example.com" } } });
    expect(seen).toEqual({ started: 5, resolved: Array(5).fill("Audited"), sent: 5 });
    expect(await servedBy(b.gateway)).toBe(0);
    expect(b.logs.map((l) => [l.msg, l.foreignPlugins])).toContainEqual([
      "prepared operations off: Apollo Server runs plugins outside the gateway's list",
      1,
    ]);
  } finally {
    await b.gateway.stop();
  }
});

test.each<[string, Record<string, string>]>([
  ["development (Apollo's implicit landing page)", {}],
  [
    "production (introspection off: the suggestions plugin is in the list)",
    { POOLGATE_ENV: "production" },
  ],
])("the gateway's own plugins keep the path on: %s", async (_name, env) => {
  const b = await startOnA([], env);
  try {
    const body = JSON.stringify({ query: "query Own { me { email } }" });
    const first = await postRaw(b.url, body, headers());
    const second = await postRaw(b.url, body, headers());
    expect(second).toEqual(first);
    expect(first.status).toBe(200);
    expect(await servedBy(b.gateway)).toBe(1);
    expect(b.logs.filter((l) => l.msg.startsWith("prepared operations off"))).toEqual([]);
  } finally {
    await b.gateway.stop();
  }
});
