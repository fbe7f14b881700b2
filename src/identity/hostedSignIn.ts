/**
 * The sign-in conversation as the hosted page runs it (DESIGN §13): the same engine and the
 * same steps as the API front doors (identity/signIn.ts), but it ends with an authenticated
 * user instead of tokens. The page then starts a hosted session and hands the client an
 * authorization code; the tokens come from the code's exchange (identity/authorization.ts).
 */
import type { UserRecord } from "../store/store";
import type { HostedSignedIn } from "./authorization";
import { SignInEngine } from "./signIn";
import type { ClientView } from "./views";

export interface Authenticated extends HostedSignedIn {
  kind: "authenticated";
}

export class HostedSignIn extends SignInEngine<Authenticated> {
  protected async finish(
    _client: ClientView,
    user: UserRecord,
    _requested: readonly string[] | null,
    _groups: readonly string[],
  ): Promise<Authenticated> {
    // When the conversation ended: the `auth_time` of every token its codes lead to.
    const authTimeSeconds = Math.floor(this.d.now() / 1000);
    return { kind: "authenticated", sub: user.sub, username: user.username, authTimeSeconds };
  }
}
