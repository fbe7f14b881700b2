/**
 * The sign-in conversation (DESIGN §11): initiateAuth / respondToAuthChallenge and the
 * software-token and MFA-preference mutations, thin adapters onto identity/signIn.ts and
 * identity/mfa.ts. Tokens issued here honour cookie mode as signIn does (docs/browser.md).
 */
import { PoolgateError } from "../../errors";
import type { AuthFlowResult } from "../../identity/signIn";
import { USER_ADMIN_SCOPE } from "../../identity/scopes";
import type {
  AssociateSoftwareTokenResultResolvers,
  MutationResolvers,
} from "../__generated__/resolvers";
import type { GatewayContext } from "../context";
import { qrCodeSvg } from "../qrCode";
import { setRefreshCookie, toGraphQL } from "./auth";
import { requireUserPrincipal } from "./user";

type ChallengeMutations =
  | "initiateAuth"
  | "respondToAuthChallenge"
  | "associateSoftwareToken"
  | "verifySoftwareToken"
  | "setUserMfaPreference";

/** A list of name/value pairs as a record; a name given twice is an error. */
export function pairs(
  list: readonly { name: string; value: string }[] | null | undefined,
  what: string,
): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const { name, value } of list ?? []) {
    if (name in out)
      throw new PoolgateError("BAD_USER_INPUT", `${what} "${name.slice(0, 64)}" given twice`);
    out[name] = value;
  }
  return out;
}

function cookieModeAllowed(ctx: GatewayContext, cookie: boolean | null | undefined): void {
  if (cookie && !ctx.cookies.trusted) {
    // Checked before any session exists: a cookie this request may not set would strand it.
    throw new PoolgateError(
      "BAD_USER_INPUT",
      "Cookie mode needs a request from the gateway's own origin or a listed CORS origin",
    );
  }
}

async function answer(
  ctx: GatewayContext,
  clientId: string,
  cookie: boolean | null | undefined,
  result: AuthFlowResult,
) {
  if (result.kind === "challenge") {
    const { challenge } = result;
    return {
      authenticationResult: null,
      challengeName: challenge.challengeName,
      session: challenge.session ?? null,
      challengeParameters: Object.entries(challenge.parameters).map(([name, value]) => ({
        name,
        value,
      })),
      availableChallenges: challenge.availableChallenges ?? null,
    };
  }
  const tokens = result.tokens;
  ctx.logger.info(
    { event: "sign_in", clientId, sessionId: tokens.sessionId, cookieMode: !!cookie },
    "signed in",
  );
  let authenticationResult = toGraphQL(tokens);
  if (cookie && tokens.refreshToken !== undefined) {
    await setRefreshCookie(ctx, clientId, tokens.refreshToken);
    authenticationResult = { ...authenticationResult, refreshToken: null };
  }
  return {
    authenticationResult,
    challengeName: null,
    session: null,
    challengeParameters: [],
    availableChallenges: null,
  };
}

/** The caller of a software-token mutation: an MFA_SETUP session, or a user's access token. */
function softwareTokenCaller(ctx: GatewayContext, session: string | null | undefined) {
  if (session) return { session };
  const p = requireUserPrincipal(ctx);
  if (!p.scopes.has(USER_ADMIN_SCOPE))
    throw new PoolgateError("FORBIDDEN", `This operation requires the ${USER_ADMIN_SCOPE} scope`);
  return { sub: p.sub };
}

export const challengeMutations: Pick<MutationResolvers<GatewayContext>, ChallengeMutations> = {
  async initiateAuth(_parent, { input }, ctx) {
    cookieModeAllowed(ctx, input.cookie);
    let result: AuthFlowResult;
    try {
      result = await ctx.pool.auth.initiateAuth({
        clientId: input.clientId,
        clientSecret: input.clientSecret ?? null,
        authFlow: input.authFlow,
        username: input.username,
        password: input.password ?? null,
        scopes: input.scopes ?? null,
        preferredChallenge: input.preferredChallenge ?? null,
        srpA: input.srpA ?? null,
      });
    } catch (err) {
      ctx.metrics.signIn(err);
      throw err;
    }
    ctx.metrics.signIn();
    return answer(ctx, input.clientId, input.cookie, result);
  },
  async respondToAuthChallenge(_parent, { input }, ctx) {
    cookieModeAllowed(ctx, input.cookie);
    let result: AuthFlowResult;
    try {
      result = await ctx.pool.auth.respond({
        clientId: input.clientId,
        clientSecret: input.clientSecret ?? null,
        challengeName: input.challengeName,
        session: input.session ?? null,
        responses: pairs(input.responses, "Challenge response"),
      });
    } catch (err) {
      ctx.metrics.challengeAnswer(input.challengeName, err);
      throw err;
    }
    ctx.metrics.challengeAnswer(input.challengeName);
    return answer(ctx, input.clientId, input.cookie, result);
  },
  async associateSoftwareToken(_parent, { session }, ctx) {
    const result = await ctx.pool.softwareTokens.associate(softwareTokenCaller(ctx, session));
    return {
      secretCode: result.secretCode,
      otpauthUri: result.otpauthUri,
      session: result.session ?? null,
    };
  },
  async verifySoftwareToken(_parent, { input }, ctx) {
    const result = await ctx.pool.softwareTokens.verify(
      softwareTokenCaller(ctx, input.session),
      input.userCode,
    );
    return { status: result.status, session: result.session ?? null };
  },
  async setUserMfaPreference(_parent, { input }, ctx) {
    const p = requireUserPrincipal(ctx);
    await ctx.pool.mfa.setPreferencesOf(p.sub, {
      softwareToken: input.softwareToken ?? null,
      email: input.email ?? null,
    });
    return true;
  },
};

/** Drawing a QR code costs a few milliseconds: done only for a query that asks for it. */
export const associateSoftwareTokenResultType: AssociateSoftwareTokenResultResolvers<GatewayContext> =
  {
    qrCodeSvg: (parent) => qrCodeSvg(parent.otpauthUri),
  };
