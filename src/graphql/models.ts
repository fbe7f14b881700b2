import type { UserRecord } from "../store/store";

/** What a `User` field resolves from: the stored record, plus the token's auth_time on `me`. */
export interface UserModel {
  record: UserRecord;
  authTimeSeconds?: number;
}
