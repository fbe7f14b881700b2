/**
 * The page Amplify JS v6 runs in for test/browser/amplify.test.ts: bundled at test time by
 * esbuild (never committed) and driven through `window.amplify`, a small promise-returning API
 * the test calls with `page.evaluate`. Every call settles to a plain, serialisable value — a
 * failure as Amplify's error `name` and `message` — so the test asserts what Amplify returned.
 */
import { Amplify } from "aws-amplify";
import {
  confirmSignIn,
  fetchAuthSession,
  fetchUserAttributes,
  getCurrentUser,
  signIn,
  signOut,
} from "aws-amplify/auth";

/** What a call gave back, or the error Amplify threw. */
export type Settled<T> = { ok: true; value: T } | { ok: false; name: string; message: string };

export interface SignInOutcome {
  isSignedIn: boolean;
  signInStep: string;
}

export interface SessionOutcome {
  accessToken: string | undefined;
  idToken: string | undefined;
  userSub: string | undefined;
  /** getCurrentUser(): the username and user id Amplify reads from the access token. */
  username: string | undefined;
  userId: string | undefined;
}

export interface AmplifyPage {
  configure(userPoolId: string, clientId: string, endpoint: string): void;
  /** `authFlowType` undefined: Amplify's default flow (USER_SRP_AUTH). */
  signIn(
    username: string,
    password: string,
    authFlowType: "USER_PASSWORD_AUTH" | undefined,
  ): Promise<Settled<SignInOutcome>>;
  confirmSignIn(challengeResponse: string): Promise<Settled<SignInOutcome>>;
  session(forceRefresh: boolean): Promise<Settled<SessionOutcome>>;
  attributes(): Promise<Settled<Record<string, string | undefined>>>;
  signOut(global: boolean): Promise<Settled<null>>;
}

async function settle<T>(run: () => Promise<T>): Promise<Settled<T>> {
  try {
    return { ok: true, value: await run() };
  } catch (err) {
    const e = err as { name?: unknown; message?: unknown };
    return { ok: false, name: String(e.name ?? "?"), message: String(e.message ?? "") };
  }
}

const outcome = (out: { isSignedIn: boolean; nextStep: { signInStep: string } }) => ({
  isSignedIn: out.isSignedIn,
  signInStep: out.nextStep.signInStep,
});

const page: AmplifyPage = {
  configure(userPoolId, clientId, endpoint) {
    Amplify.configure({
      Auth: {
        Cognito: { userPoolId, userPoolClientId: clientId, userPoolEndpoint: endpoint },
      },
    });
  },
  signIn: (username, password, authFlowType) =>
    settle(async () =>
      outcome(
        await signIn({
          username,
          password,
          ...(authFlowType !== undefined ? { options: { authFlowType } } : {}),
        }),
      ),
    ),
  confirmSignIn: (challengeResponse) =>
    settle(async () => outcome(await confirmSignIn({ challengeResponse }))),
  session: (forceRefresh) =>
    settle(async () => {
      const session = await fetchAuthSession({ forceRefresh });
      const signedIn = session.tokens !== undefined;
      const user = signedIn ? await getCurrentUser() : undefined;
      return {
        accessToken: session.tokens?.accessToken.toString(),
        idToken: session.tokens?.idToken?.toString(),
        userSub: session.userSub,
        username: user?.username,
        userId: user?.userId,
      };
    }),
  attributes: () => settle(async () => ({ ...(await fetchUserAttributes()) })),
  signOut: (global) =>
    settle(async () => {
      await signOut({ global });
      return null;
    }),
};

// No DOM types in this project's tsconfig: the page's global object, typed by what is added.
(globalThis as unknown as { amplify: AmplifyPage }).amplify = page;
