/**
 * The admin operations a front door offers to a caller, behind a check of who the caller is:
 * GraphQL's admin fields (a token's scopes) and Cognito's admin operations (an access key
 * whose SigV4 signature the front door verified, cognito/sigv4.ts). For GraphQL, the schema's
 * `@requiresScopes(scopes: [["poolgate/admin"]])` decides first; this is the second,
 * independent check (issue 12: a poisoned directive plan once let an anonymous caller
 * through), so an admin operation never rests on one cache being right. The CLI is the
 * operator with the store in hand and calls the services directly.
 */
import { PoolgateError } from "../errors";
import type { ClientService, CreateClientInput, CreatedClient, UpdateClientInput } from "./clients";
import type { GroupService, GroupView, NewGroupInput } from "./groups";
import type { MfaPreferences, MfaService, MfaSettings } from "./mfa";
import type { RecoveryService } from "./recovery";
import type { ResourceServerService } from "./resourceServers";
import { ADMIN_SCOPE } from "./scopes";
import type { SessionService } from "./sessions";
import type { AdminCreateUserInput, UserFilter, UserService } from "./users";
import type { ClientView, UserView } from "./views";

/**
 * Who asks, as the front door verified them: a token's scopes; an access key whose signature
 * the front door checked (an access key is an admin credential: it is made for nothing else);
 * or null for no credential at all.
 */
export type AdminCaller =
  { readonly scopes: ReadonlySet<string> } | { readonly accessKeyId: string } | null;

type ResourceServerInput = Parameters<ResourceServerService["create"]>[0];

/** The services admin operations call, handed over by the pool. */
export interface AdminServices {
  users: UserService;
  sessions: SessionService;
  recovery: RecoveryService;
  mfa: MfaService;
  groups: GroupService;
  resourceServers: ResourceServerService;
  clients: ClientService;
  now: () => number;
}

/** One caller's admin operations; made only for a caller holding `poolgate/admin` or an access key. */
export class AdminOperations {
  private readonly users: UserService;
  private readonly sessions: SessionService;
  private readonly resourceServers: ResourceServerService;
  private readonly now: () => number;

  /** Throws UNAUTHENTICATED (no credential) or FORBIDDEN (no `poolgate/admin`) before anything runs. */
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
    if ("accessKeyId" in caller) return;
    if (!caller.scopes.has(ADMIN_SCOPE)) {
      throw new PoolgateError("FORBIDDEN", "This operation requires the poolgate/admin scope", {
        logDetail: "admin operation without poolgate/admin",
      });
    }
  }

  getUser(username: string): Promise<UserView | undefined> {
    return this.users.find(username);
  }

  /** The user, or USER_NOT_FOUND. */
  requireUser(username: string): Promise<UserView> {
    return this.users.require(username);
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

  /** The factors a user has on and prefers (AdminGetUser's UserMFASettingList, PreferredMfaSetting). */
  async userMfa(username: string): Promise<MfaSettings> {
    return this.services.mfa.settings(await this.users.record(username));
  }

  /** ListUsers: a page of users matching `filter`, in username order after `afterUsername`. */
  listUsers(
    filter: UserFilter | undefined,
    afterUsername: string | undefined,
    limit: number,
  ): Promise<UserView[]> {
    return this.users.list(filter, afterUsername, limit);
  }

  /** AdminListGroupsForUser: the user's groups, with their details where they were created. */
  async groupsOfUser(username: string): Promise<GroupView[]> {
    return this.services.groups.describe(await this.users.groupsOf(username));
  }

  createGroup(input: NewGroupInput): Promise<GroupView> {
    return this.services.groups.create(input);
  }

  /** ListGroups: created groups and the names users joined, in code-point order. */
  listGroups(afterName: string | undefined, limit: number): Promise<GroupView[]> {
    return this.services.groups.list(afterName, limit);
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

  /** ListUserPoolClients: views only, never a secret or its hash. */
  listClients(): Promise<ClientView[]> {
    return this.services.clients.list();
  }

  getClient(clientId: string): Promise<ClientView | undefined> {
    return this.services.clients.get(clientId);
  }

  /** CreateUserPoolClient: the secret, if any, is in the result this once. */
  createClient(input: CreateClientInput): Promise<CreatedClient> {
    return this.services.clients.create(input, this.now());
  }

  /** UpdateUserPoolClient for the OAuth settings and the allowed scopes. */
  updateClient(clientId: string, input: UpdateClientInput): Promise<ClientView> {
    return this.services.clients.update(clientId, input, this.now());
  }
}
