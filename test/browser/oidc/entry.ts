/**
 * The single-page app oidc-client-ts runs in for test/browser/oidc.test.ts: bundled at test
 * time by esbuild (never committed), configured by the site's /config.js (which sets
 * `globalThis.spaConfig` before this script runs) and driven through `window.spa`, which the
 * test calls with `page.evaluate`. Every call settles to a plain, serialisable value — a
 * failure as the library's error `name` and `message` — so the test asserts what
 * oidc-client-ts returned. The redirects never settle when they work: the page goes away.
 */
import { UserManager, WebStorageStateStore } from "oidc-client-ts";

/** What a call gave back, or the error it threw. */
export type Settled<T> = { ok: true; value: T } | { ok: false; name: string; message: string };

export interface SpaConfig {
  /** The gateway's issuer (oidc-client-ts reads its discovery document). */
  authority: string;
  clientId: string;
  /** This site's origin: the callback and sign-out URLs are on it. */
  origin: string;
}

export interface SignedInUser {
  profile: Record<string, unknown>;
  accessToken: string;
  idToken: string | undefined;
  hasRefreshToken: boolean;
  scope: string | undefined;
  expired: boolean | undefined;
}

/** What a GraphQL call answered, as the page saw it. */
export interface GraphQLAnswer {
  status: number;
  body: unknown;
}

export interface SpaPage {
  /** Goes to the gateway's authorization endpoint; settles only if it could not. */
  signinRedirect(): Promise<Settled<null>>;
  /** On /callback: the code for tokens (PKCE, state), then the signed-in user. */
  signinCallback(): Promise<Settled<SignedInUser>>;
  getUser(): Promise<Settled<SignedInUser | null>>;
  /** POST <gateway>/graphql with the user's access token as a Bearer token. */
  graphql(query: string): Promise<Settled<GraphQLAnswer>>;
  /**
   * Goes to the gateway's end_session_endpoint; settles only if it could not. `userState`
   * is kept by the library under the `state` it sends (it sends none without one).
   */
  signoutRedirect(userState: string): Promise<Settled<null>>;
  /** On /signed-out: the `userState` the signoutRedirect kept, found by the returned `state`. */
  signoutCallback(): Promise<Settled<unknown>>;
}

async function settle<T>(run: () => Promise<T>): Promise<Settled<T>> {
  try {
    return { ok: true, value: await run() };
  } catch (err) {
    const e = err as { name?: unknown; message?: unknown };
    return { ok: false, name: String(e.name ?? "?"), message: String(e.message ?? "") };
  }
}

// No DOM types in this project's tsconfig: the page's global object, typed by what is used.
const page = globalThis as unknown as {
  spaConfig: SpaConfig;
  sessionStorage: NonNullable<ConstructorParameters<typeof WebStorageStateStore>[0]>["store"];
  fetch: typeof fetch;
  spa: SpaPage;
};
const config = page.spaConfig;

const manager = new UserManager({
  authority: config.authority,
  client_id: config.clientId,
  redirect_uri: `${config.origin}/callback`,
  post_logout_redirect_uri: `${config.origin}/signed-out`,
  response_type: "code",
  scope: "openid email profile",
  // The tokens last as long as the tab; the sign-in's state and PKCE verifier stay in
  // localStorage, the library's default.
  userStore: new WebStorageStateStore({ store: page.sessionStorage }),
});

type User = NonNullable<Awaited<ReturnType<UserManager["getUser"]>>>;

const view = (user: User): SignedInUser => ({
  profile: { ...user.profile },
  accessToken: user.access_token,
  idToken: user.id_token,
  hasRefreshToken: typeof user.refresh_token === "string" && user.refresh_token !== "",
  scope: user.scope,
  expired: user.expired,
});

page.spa = {
  signinRedirect: () => settle(async () => (await manager.signinRedirect(), null)),
  signinCallback: () =>
    settle(async () => {
      const user = await manager.signinCallback();
      if (!user) throw new Error("signinCallback returned no user");
      return view(user);
    }),
  getUser: () =>
    settle(async () => {
      const user = await manager.getUser();
      return user ? view(user) : null;
    }),
  graphql: (query) =>
    settle(async () => {
      const user = await manager.getUser();
      const res = await page.fetch(`${config.authority}/graphql`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(user ? { authorization: `Bearer ${user.access_token}` } : {}),
        },
        body: JSON.stringify({ query }),
      });
      return { status: res.status, body: await res.json() };
    }),
  signoutRedirect: (userState) =>
    settle(async () => (await manager.signoutRedirect({ state: userState }), null)),
  // No response without a state in the URL; a state this page did not send throws.
  signoutCallback: () => settle(async () => (await manager.signoutCallback())?.userState),
};
