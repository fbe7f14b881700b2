import { PoolgateError } from "../errors";

/**
 * The storage contract (DESIGN §7). Small on purpose: every implementation (SQLite,
 * PostgreSQL) passes the same contract suite in test/store/. Conventions, after
 * oidc-provider's adapters:
 *   - a missing record is `undefined`, never a throw;
 *   - times are integer milliseconds since the epoch (`…AtMs`), durations carry their unit;
 *   - operations that must be atomic across instances (refresh rotation, lockout counting,
 *     revocation) are single methods, so each implementation can make them one transaction;
 *   - uniqueness violations surface as `StoreConflictError`, connectivity loss as
 *     `StoreUnavailableError`; nothing else is thrown on purpose.
 */
import type { AccessKeyStore } from "./parts/accessKeys";
import type { AuthorizationStore } from "./parts/authorization";
import type { ChallengeStore } from "./parts/challenges";
import type { ClientStore } from "./parts/clients";
import type { CodeStore } from "./parts/codes";
import type { FeedStore } from "./parts/feed";
import type { GroupStore } from "./parts/groups";
import type { KeyStore } from "./parts/keys";
import type { LifecycleStore } from "./parts/lifecycle";
import type { LockoutStore } from "./parts/lockouts";
import type { MfaStore } from "./parts/mfa";
import type { ResourceServerStore } from "./parts/resourceServers";
import type { SessionStore } from "./parts/sessions";
import type { SettingsStore } from "./parts/settings";
import type { UserStore } from "./parts/users";

export type { AccessKeyRecord, AccessKeyStore } from "./parts/accessKeys";
export type { ChallengeName, ChallengeRecord, ChallengeStore } from "./parts/challenges";
export type {
  AuthorizationCodeRecord,
  AuthorizationStore,
  CodeRedemption,
  HostedSessionRecord,
} from "./parts/authorization";
export type { ClientPatch, ClientRecord, ClientStore, OAuthFlow } from "./parts/clients";
export type { CodePurpose, CodeRecord, CodeStore } from "./parts/codes";
export type { ChangeEvent, ChangeKind, ChangeNote, FeedStore } from "./parts/feed";
export type { GroupListing, GroupRecord, GroupStore } from "./parts/groups";
export type { KeyRecord, KeyStore } from "./parts/keys";
export type { LifecycleStore, PruneCounts, PruneCutoffs } from "./parts/lifecycle";
export type { LockoutRecord, LockoutStore } from "./parts/lockouts";
export type { MfaFactor, MfaRecord, MfaStore } from "./parts/mfa";
export type { ResourceServerRecord, ResourceServerStore } from "./parts/resourceServers";
export type {
  RevocationReason,
  RotationOutcome,
  SessionRecord,
  SessionStore,
} from "./parts/sessions";
export type { SettingsStore } from "./parts/settings";
export type { UserFilter, UserPatch, UserRecord, UserStore } from "./parts/users";

/**
 * The whole store: one part per aggregate (src/store/parts/), so that a service that needs
 * one aggregate takes that part's type. Both implementations implement all of it.
 */
export interface Store
  extends
    LifecycleStore,
    UserStore,
    GroupStore,
    ClientStore,
    ResourceServerStore,
    SessionStore,
    KeyStore,
    SettingsStore,
    LockoutStore,
    MfaStore,
    CodeStore,
    ChallengeStore,
    AccessKeyStore,
    AuthorizationStore,
    FeedStore {}

export class StoreConflictError extends Error {
  override readonly name = "StoreConflictError";
}

/**
 * The database cannot be reached or is overloaded. It is a PoolgateError so every layer above
 * reports it as SERVICE_UNAVAILABLE without knowing about the store.
 */
export class StoreUnavailableError extends PoolgateError {
  constructor(detail: string, options: { cause?: unknown } = {}) {
    super("SERVICE_UNAVAILABLE", "Service temporarily unavailable", { logDetail: detail });
    if (options.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
  }
}

/**
 * The database answers but refuses writes: it is read-only (a standby after a failover, a
 * read-only file) or out of space. Reported like any outage; readiness also counts it.
 */
export class StoreWriteRefusedError extends StoreUnavailableError {}
