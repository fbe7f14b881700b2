/** What every identity service needs, assembled once by UserPool.open. */
import type { Logger } from "pino";
import type { Config } from "../config";
import type { Store } from "../store/store";
import type { DerivedSecrets } from "../tokens/secrets";
import type { ClientService } from "./clients";
import type { Hooks } from "./hooks";
import type { UserDirectory } from "./directory";
import type { KeyService } from "./keys";
import type { LockoutCounters } from "./lockout";
import type { PasswordHasher } from "./passwords";
import type { ResourceServerService } from "./resourceServers";
import type { RevocationState } from "./revocations";
import type { ScopeRules } from "./scopes";
import type { SrpVerifiers } from "./srpVerifiers";

export interface IdentityDeps {
  store: Store;
  config: Readonly<Config>;
  secrets: DerivedSecrets;
  logger: Logger;
  hasher: PasswordHasher;
  /** Users' SRP verifiers: sealed at rest, made up for names without one. */
  srp: SrpVerifiers;
  keys: KeyService;
  clients: ClientService;
  resourceServers: ResourceServerService;
  directory: UserDirectory;
  revocations: RevocationState;
  scopeRules: ScopeRules;
  /** Failed-attempt counters: in the store for existing users, in memory for unknown names. */
  lockout: LockoutCounters;
  /** Cognito's triggers, in-process (POOLGATE_HOOKS); Hooks.none when there are none. */
  hooks: Hooks;
  /** Milliseconds since the epoch; injectable so tests can move time. */
  now: () => number;
}
