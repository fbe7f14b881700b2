/**
 * The admin operations a front door offers to a caller (GraphQL's admin fields today), behind
 * a check of the caller's own scopes. The schema's `@requiresScopes(scopes:
 * [["poolgate/admin"]])` decides first; this is the second, independent check (issue 12: a
 * poisoned directive plan once let an anonymous caller through), so an admin operation never
 * rests on one cache being right. The CLI is the operator with the store in hand and calls the
 * services directly.
 */
import { PoolgateError } from "../errors";
import type { MfaPreferences, MfaService } from "./mfa";
import type { RecoveryService } from "./recovery";
import type { ResourceServerService } from "./resourceServers";
import { ADMIN_SCOPE } from "./scopes";
import type { SessionService } from "./sessions";
import type { AdminCreateUserInput, UserService } from "./users";
import type { UserView } from "./views";

/** Who asks, as the front door verified them: the token's scopes, or null for no token. */
export type AdminCaller = { readonly scopes: ReadonlySet<string> } | null;

type ResourceServerInput = Parameters<ResourceServerService["create"]>[0];

/** The services admin operations call, handed over by the pool. */
export interface AdminServices {
  users: UserService;
  sessions: SessionService;
  recovery: RecoveryService;
  mfa: MfaService;
  resourceServers: ResourceServerService;
  now: () => number;
}

/** One caller's admin operations; made only for a caller holding `poolgate/admin`. */
export class AdminOperations {
  /** Throws UNAUTHENTICATED (no token) or FORBIDDEN (no `poolgate/admin`) before anything runs. */
  private readonly users: UserService;
  private readonly sessions: SessionService;
  private readonly resourceServers: ResourceServerService;
  private readonly now: () => number;

  constructor(
    caller: AdminCaller,
    private readonly services: AdminServices,
  ) {
    this.users = services.users;
    this.sessions = services.sessions;
    this.resourceServers = services.resourceServers;
    this.now = services.now;
    if (caller === null) {
      throw new PoolgateError("UNAUTHENTICATED", "Unauthorized", {
        logDetail: "admin operation without a token",
      });
    }
    if (!caller.scopes.has(ADMIN_SCOPE)) {
      throw new PoolgateError("FORBIDDEN", "This operation requires the poolgate/admin scope", {
        logDetail: "admin operation without poolgate/admin",
      });
    }
  }

  getUser(username: string): Promise<UserView | undefined> {
    return this.users.find(username);
  }

  createUser(input: AdminCreateUserInput): Promise<UserView> {
    return this.users.adminCreate(input);
  }

  async setUserEnabled(username: string, enabled: boolean): Promise<void> {
    await this.users.setEnabled(username, enabled);
  }

  deleteUser(username: string): Promise<void> {
    return this.users.delete(username);
  }

  addUserToGroup(username: string, group: string): Promise<void> {
    return this.users.addToGroup(username, group);
  }

  removeUserFromGroup(username: string, group: string): Promise<void> {
    return this.users.removeFromGroup(username, group);
  }

  async signOutEverywhere(username: string): Promise<void> {
    const user = await this.users.require(username);
    await this.sessions.signOutEverywhere(user.sub, "global_sign_out");
  }

  setUserPassword(username: string, password: string, permanent: boolean): Promise<void> {
    return this.users.setPassword(username, password, permanent);
  }

  resetUserPassword(username: string): Promise<void> {
    return this.services.recovery.adminResetPassword(username);
  }

  /** AdminSetUserMFAPreference. */
  async setUserMfaPreference(username: string, preferences: MfaPreferences): Promise<void> {
    const user = await this.users.record(username);
    await this.services.mfa.setPreferences(user, preferences);
  }

  /** poolgate's own: the user's authenticator and MFA preferences removed (a lost phone). */
  async resetUserMfa(username: string): Promise<void> {
    const user = await this.users.require(username);
    await this.services.mfa.reset(user.sub);
  }

  listResourceServers(): ReturnType<ResourceServerService["list"]> {
    return this.resourceServers.list();
  }

  createResourceServer(input: ResourceServerInput): ReturnType<ResourceServerService["create"]> {
    return this.resourceServers.create(input, this.now());
  }

  updateResourceServer(
    input: Parameters<ResourceServerService["update"]>[0],
  ): ReturnType<ResourceServerService["update"]> {
    return this.resourceServers.update(input);
  }

  deleteResourceServer(id: string): Promise<boolean> {
    return this.resourceServers.delete(id);
  }
}
