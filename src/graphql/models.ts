import type { ClientView, UserView } from "../identity/views";

/** What a `User` field resolves from: the user view (no hashes), plus the token's auth_time on `me`. */
export interface UserModel {
  user: UserView;
  authTimeSeconds?: number;
}

/** What an `AssociateSoftwareTokenResult` resolves from: `qrCodeSvg` is drawn from it only when asked for. */
export interface AssociateSoftwareTokenModel {
  secretCode: string;
  otpauthUri: string;
  session: string | null;
}

/** What an `AppClient` resolves from: the client view (no secret hash, no sealed secret). */
export type AppClientModel = ClientView;
