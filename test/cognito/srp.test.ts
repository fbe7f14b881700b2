/**
 * Cognito's SRP on the wire (issue 15 §3, "Bad input"), through the real AWS SDK, the client's
 * math by amazon-cognito-identity-js (test/support/srpClient.ts): each attack is answered with
 * Cognito's exception, never a 5xx.
 */
import {
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
  RespondToAuthChallengeCommand,
  type InitiateAuthCommandOutput,
} from "@aws-sdk/client-cognito-identity-provider";
import {
  createClient,
  createUser,
  frozenClock,
  ME,
  startGateway,
  type TestGateway,
} from "../harness";
import { libraryGroup, LibrarySrpClient, type ChallengeParameters } from "../support/srpClient";

const POOL_ID = "eu-west-1_SrpWire1";
const POOL_NAME = "SrpWire1";

async function failure(call: Promise<unknown>): Promise<{ name: string; message: string }> {
  try {
    await call;
    return { name: "OK", message: "" };
  } catch (err) {
    const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    expect(e.$metadata?.httpStatusCode).toBeLessThan(500);
    return { name: e.name ?? "?", message: e.message ?? "" };
  }
}

/** Cognito's TIMESTAMP format, as the library writes it, for a given moment. */
function timestampAt(ms: number): string {
  const d = new Date(ms);
  const days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  const months = [
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
  ];
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${days[d.getUTCDay()]} ${months[d.getUTCMonth()]} ${d.getUTCDate()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC ${d.getUTCFullYear()}`;
}

describe("USER_SRP_AUTH through the AWS SDK", () => {
  let gw: TestGateway;
  let sdk: CognitoIdentityProviderClient;
  let clientId: string;
  const clock = frozenClock();

  beforeAll(async () => {
    gw = await startGateway({ clock, env: { POOLGATE_POOL_ID: POOL_ID } });
    sdk = new CognitoIdentityProviderClient({
      region: "eu-west-1",
      endpoint: gw.url,
      maxAttempts: 1,
    });
    ({ clientId } = await createClient(gw));
  });
  afterAll(async () => {
    sdk.destroy();
    await gw.close();
  });

  async function start(
    username: string,
    srp: LibrarySrpClient,
  ): Promise<InitiateAuthCommandOutput> {
    return sdk.send(
      new InitiateAuthCommand({
        ClientId: clientId,
        AuthFlow: "USER_SRP_AUTH",
        AuthParameters: { USERNAME: username, SRP_A: srp.AHex },
      }),
    );
  }

  const answer = (responses: Record<string, string>) =>
    sdk.send(
      new RespondToAuthChallengeCommand({
        ClientId: clientId,
        ChallengeName: "PASSWORD_VERIFIER",
        ChallengeResponses: responses,
      }),
    );

  it("happy flow: PASSWORD_VERIFIER carries SALT, SRP_B, SECRET_BLOCK and USER_ID_FOR_SRP, and the claim signs in", async () => {
    const user = await createUser(gw);
    const srp = new LibrarySrpClient(POOL_NAME);
    const step = await start(user.username, srp);
    expect(step.ChallengeName).toBe("PASSWORD_VERIFIER");
    expect(Object.keys(step.ChallengeParameters ?? {}).sort()).toEqual(
      ["SALT", "SECRET_BLOCK", "SRP_B", "USERNAME", "USER_ID_FOR_SRP"].sort(),
    );
    const params = step.ChallengeParameters as unknown as ChallengeParameters;
    const done = await answer(srp.answer(params, user.password, timestampAt(clock.now())));
    expect(
      (await gw.gql(ME, {}, done.AuthenticationResult!.AccessToken)).body.data?.["me"]?.username,
    ).toBe(user.username);
  });

  it("SRP secret block replay: a block that gave tokens is NotAuthorizedException the second time", async () => {
    const user = await createUser(gw);
    const srp = new LibrarySrpClient(POOL_NAME);
    const params = (await start(user.username, srp))
      .ChallengeParameters as unknown as ChallengeParameters;
    const claim = srp.answer(params, user.password, timestampAt(clock.now()));
    await answer(claim);
    expect((await failure(answer(claim))).name).toBe("NotAuthorizedException");
  });

  it("a wrong password through SRP is NotAuthorizedException with Cognito's message", async () => {
    const user = await createUser(gw);
    const srp = new LibrarySrpClient(POOL_NAME);
    const params = (await start(user.username, srp))
      .ChallengeParameters as unknown as ChallengeParameters;
    expect(
      await failure(answer(srp.answer(params, "Wrong-pa55word!", timestampAt(clock.now())))),
    ).toEqual({
      name: "NotAuthorizedException",
      message: "Incorrect username or password.",
    });
  });

  it("zero-key attack: SRP_A = 0 or N is refused with InvalidParameterException before any step", async () => {
    const user = await createUser(gw);
    const nHex = libraryGroup().NHex;
    for (const A of ["0", "00", nHex]) {
      const res = await failure(
        sdk.send(
          new InitiateAuthCommand({
            ClientId: clientId,
            AuthFlow: "USER_SRP_AUTH",
            AuthParameters: { USERNAME: user.username, SRP_A: A },
          }),
        ),
      );
      expect({ A: A.slice(0, 8), name: res.name }).toEqual({
        A: A.slice(0, 8),
        name: "InvalidParameterException",
      });
    }
  });

  it("stale timestamp: a claim signed 6 minutes off the gateway's clock is NotAuthorizedException", async () => {
    const user = await createUser(gw);
    const srp = new LibrarySrpClient(POOL_NAME);
    const params = (await start(user.username, srp))
      .ChallengeParameters as unknown as ChallengeParameters;
    expect(
      (
        await failure(
          answer(srp.answer(params, user.password, timestampAt(clock.now() - 6 * 60_000))),
        )
      ).name,
    ).toBe("NotAuthorizedException");
  });

  it("an unknown name gets a PASSWORD_VERIFIER of the same shape, and its claim fails as a wrong password", async () => {
    const srp = new LibrarySrpClient(POOL_NAME);
    const step = await start("nobody-at-all", srp);
    expect(step.ChallengeName).toBe("PASSWORD_VERIFIER");
    const params = step.ChallengeParameters as unknown as ChallengeParameters;
    expect(
      await failure(answer(srp.answer(params, "Any-pa55word!", timestampAt(clock.now())))),
    ).toEqual({
      name: "NotAuthorizedException",
      message: "Incorrect username or password.",
    });
  });
});
