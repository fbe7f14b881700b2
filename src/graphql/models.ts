import type { UserView } from "../identity/views";

/** What a `User` field resolves from: the user view (no hashes), plus the token's auth_time on `me`. */
export interface UserModel {
  user: UserView;
  authTimeSeconds?: number;
}
