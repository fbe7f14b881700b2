/**
 * What a password becomes at rest: its argon2id hash (identity/passwords.ts) and its sealed
 * SRP verifier (identity/srpVerifiers.ts), computed together. Every place that sets a password
 * — user creation, AdminSetUserPassword, ChangePassword, a RESEND invitation, the
 * NEW_PASSWORD_REQUIRED answer, ConfirmForgotPassword, and the first password sign-in of a
 * user who has no verifier yet — stores both, so USER_SRP_AUTH works for whatever password
 * the user has now.
 */
import type { IdentityDeps } from "./deps";

export interface StoredPassword {
  passwordHash: string;
  srpVerifierSealed: string;
}

/** `user.username` is the stored (canonical) name: SRP's user id (USER_ID_FOR_SRP). */
export async function storedPassword(
  d: Pick<IdentityDeps, "hasher" | "srp">,
  user: { sub: string; username: string },
  password: string,
): Promise<StoredPassword> {
  const [passwordHash, srpVerifierSealed] = await Promise.all([
    d.hasher.hash(password),
    d.srp.seal(user, password),
  ]);
  return { passwordHash, srpVerifierSealed };
}
