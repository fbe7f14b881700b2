/**
 * The user pool: one object that owns the identity services for a store, used alike by
 * GraphQL resolvers, the /oauth2 endpoints and the CLI. Open it with UserPool.open; close
 * it to stop its background sync.
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { Config } from "../config";
import { PoolgateError } from "../errors";
import { errorSummary } from "../log";
import type { Store } from "../store/store";
import type { AccessTokenClaims } from "../tokens/claims";
import { deriveSecrets } from "../tokens/secrets";
import { AccessTokenVerifier } from "../tokens/verify";
import { AccessKeyService } from "./accessKeys";
import { AfterAnswer } from "./afterAnswer";
import { EmailSignIn } from "./emailSignIn";
import { AdminOperations, type AdminCaller } from "./admin";
import type { MessageSender } from "../delivery/message";
import { ChallengeSessions } from "./challenges";
import { ClientService } from "./clients";
import { UserDirectory } from "./directory";
import { GroupService } from "./groups";
import type { IdentityDeps } from "./deps";
import { KeyService } from "./keys";
import { LockoutCounters } from "./lockout";
import { PruneSchedule } from "./maintenance";
import { MachineService } from "./machine";
import { MfaService } from "./mfa";
import { PasswordHasher } from "./passwords";
import { RecoveryService } from "./recovery";
import { ResourceServerService } from "./resourceServers";
import { RevocationState } from "./revocations";
import { ADMIN_SCOPE } from "./scopes";
import { SessionService } from "./sessions";
import { SignInService } from "./signIn";
import { HostedSignIn } from "./hostedSignIn";
import { Hooks } from "./hooks";
import { AuthorizationService } from "./authorization";
import { SoftwareTokenService } from "./softwareTokens";
import { srpPoolName, SrpVerifiers } from "./srpVerifiers";
import { applyUsernameRule } from "./usernames";
import { UserService } from "./users";

export interface UserPoolOptions {
  store: Store;
  config: Readonly<Config>;
  masterKey: Uint8Array;
  logger: Logger;
  /** Where codes and invitations go (delivery/: SMTP, or the log in development). */
  sender: MessageSender;
  now?: () => number;
  /** Cognito's triggers (POOLGATE_HOOKS), loaded by the caller. @default none */
  hooks?: Hooks;
  /** Read the store's change feed in the background (off for one-shot CLI commands). @default true */
  backgroundSync?: boolean;
}

/** Readiness answers within this, whatever the store does (load balancers probe with ~2–5 s). */
const READY_TIMEOUT_MS = 2_000;
/**
 * One write probe per instance per this interval at most, whatever the rate of /readyz (it is
 * unauthenticated): concurrent and repeated probes share the last outcome.
 */
const READY_PROBE_INTERVAL_MS = 1_000;
/**
 * A write refused for space or a read-only database this recently keeps the instance unready,
 * even if the heartbeat's in-place rewrite still succeeds. A window, not a latch: an instance
 * taken out of rotation gets no writes, and must be able to come back once the store heals.
 */
const READY_WRITE_REFUSED_WINDOW_MS = 10_000;

/**
 * The longest an access or ID token can live (Cognito's bound), plus a margin for skew: the
 * revocation window, which bounds what a start loads from the feed and what a prune keeps.
 */
export const MAX_TOKEN_LIFETIME_MS = 86400 * 1000 + 5 * 60 * 1000;

export class UserPool {
  readonly sessions: SessionService;
  /** Sign-in conversations: initiateAuth / respondToAuthChallenge, signIn, software tokens. */
  readonly auth: SignInService;
  /** The same conversation for the hosted sign-in page: it ends with a user, not tokens. */
  readonly hostedAuth: HostedSignIn;
  /** The OpenID provider's codes and hosted sessions (DESIGN §13). */
  readonly authorization: AuthorizationService;
  readonly mfa: MfaService;
  /** AssociateSoftwareToken / VerifySoftwareToken, with an access token or an MFA_SETUP session. */
  readonly softwareTokens: SoftwareTokenService;
  readonly recovery: RecoveryService;
  /** Deliveries that follow their answer (recovery, passwordless email); a stop waits for them. */
  readonly afterAnswer: AfterAnswer;
  readonly users: UserService;
  /** Created groups (Cognito's CreateGroup) and the names users joined. */
  readonly groups: GroupService;
  /** Access keys that sign Cognito's admin operations (SigV4). */
  readonly accessKeys: AccessKeyService;
  readonly clients: ClientService;
  readonly resourceServers: ResourceServerService;
  readonly machine: MachineService;
  readonly keys: KeyService;
  readonly revocations: RevocationState;
  readonly hasher: PasswordHasher;
  readonly verifier: AccessTokenVerifier;
  /** Batched user reads for resolvers, served from the last-known copy during a store outage. */
  readonly directory: UserDirectory;
  readonly store: Store;
  readonly config: Readonly<Config>;
  private readonly now: () => number;
  /** This process's heartbeat row (readiness's write probe). */
  private readonly instanceId = randomUUID();
  private probe: { startedAt: number; outcome: Promise<boolean> } | undefined;

  private constructor(
    private readonly d: IdentityDeps,
    sender: MessageSender,
    /** Started with the background sync (serve), not by one-shot CLI commands. */
    private readonly pruning: PruneSchedule | undefined,
  ) {
    this.store = d.store;
    this.config = d.config;
    this.now = d.now;
    this.clients = d.clients;
    this.resourceServers = d.resourceServers;
    this.machine = new MachineService(d, this.resourceServers, (token) => this.authenticate(token));
    this.keys = d.keys;
    this.revocations = d.revocations;
    this.hasher = d.hasher;
    this.sessions = new SessionService(d);
    this.users = new UserService(d, this.sessions, sender);
    this.groups = new GroupService(d.store, d.now);
    this.accessKeys = new AccessKeyService(d.store, d.secrets.accessKeySecretKey, d.now);
    this.mfa = new MfaService(d.store, d.store, d.config, d.secrets.mfaSecretKey, d.now);
    const challenges = new ChallengeSessions(d.store, d.secrets.challengeSessionKey, d.now);
    this.softwareTokens = new SoftwareTokenService(d, challenges, this.mfa);
    this.afterAnswer = new AfterAnswer(d.logger);
    const emailSignIn = new EmailSignIn(d, challenges, sender, this.afterAnswer);
    this.auth = new SignInService(d, this.sessions, challenges, this.mfa, sender, emailSignIn);
    this.hostedAuth = new HostedSignIn(d, challenges, this.mfa, sender, emailSignIn);
    this.authorization = new AuthorizationService(d, this.sessions);
    this.recovery = new RecoveryService(d, this.users, this.sessions, sender, this.afterAnswer);
    this.directory = d.directory;
    this.verifier = new AccessTokenVerifier({
      issuer: d.config.issuer,
      keys: (kid) => d.keys.ring().verificationKey(kid, d.now()),
      clockSkewSeconds: d.config.clockSkewSeconds,
      maxTokenBytes: d.config.maxTokenBytes,
      cacheSize: d.config.tokenCacheSize,
      nowMs: d.now,
    });
  }

  static async open(options: UserPoolOptions): Promise<UserPool> {
    const { store, config, logger } = options;
    const now = options.now ?? Date.now;
    const secrets = deriveSecrets(options.masterKey);
    const keys = new KeyService(
      store,
      secrets.keyEncryptionKey,
      config.keyRotationGraceSeconds * 1000,
      config.keyActivationDelaySeconds * 1000,
      config.signingAlgorithm,
    );
    const resourceServers = new ResourceServerService(store, now);
    const directory = new UserDirectory(store, config.tokenCacheSize, now);
    const revocations = new RevocationState(store, {
      onUserChanged: (sub) => directory.invalidate(sub),
      onClientChanged: (clientId) => clients.invalidate(clientId),
      windowMs: MAX_TOKEN_LIFETIME_MS,
      onKeysChanged: async () => {
        await keys.reload(now());
      },
      onSyncError: (err) => logger.error({ err: errorSummary(err) }, "revocation sync failed"),
      pullTimeoutMs: config.databaseQueryTimeoutMs,
      now,
    });
    const clients = new ClientService(
      store,
      secrets.storageHashKey,
      secrets.clientSecretKey,
      config.refreshTokenReuseGraceSeconds,
      revocations,
      resourceServers,
      now,
    );
    const deps: IdentityDeps = {
      store,
      config,
      secrets,
      logger,
      hasher: new PasswordHasher({
        memoryKib: config.passwordHashMemoryKib,
        iterations: config.passwordHashIterations,
      }),
      srp: new SrpVerifiers(secrets, srpPoolName(config.poolId)),
      keys,
      clients,
      resourceServers,
      directory,
      revocations,
      scopeRules: { groupRestricted: new Map([[ADMIN_SCOPE, config.adminGroup]]) },
      lockout: new LockoutCounters(store, now),
      hooks: options.hooks ?? Hooks.none(logger),
      now,
    };
    // Stored names follow the configured username rule before anyone looks one up.
    await applyUsernameRule(store, config.usernameCaseSensitive, now(), logger);
    // The feed position first: a key created or rotated from here on arrives as an event.
    await revocations.load(now());
    await keys.open(now());
    let pruning: PruneSchedule | undefined;
    if (options.backgroundSync ?? true) {
      await revocations.start(config.syncIntervalMs);
      pruning = new PruneSchedule(store, {
        intervalMs: config.pruneIntervalSeconds * 1000,
        revocationWindowMs: MAX_TOKEN_LIFETIME_MS,
        now,
        onPruned: (counts) => logger.info({ pruned: counts }, "store pruned"),
        onError: (err) => logger.warn({ err: errorSummary(err) }, "store prune failed"),
      });
      pruning.start();
    }
    return new UserPool(deps, options.sender, pruning);
  }

  /**
   * The full check of a bearer access token (DESIGN §5): signature and claims (cached),
   * then, on every request, the live state: client enabled, session not revoked, user enabled.
   */
  async authenticate(token: string): Promise<AccessTokenClaims> {
    const claims = await this.verifier.verify(token);
    const denied = (why: string) =>
      new PoolgateError("UNAUTHENTICATED", "Unauthorized", {
        logDetail: `access token rejected: ${why}`,
      });
    if (this.revocations.isClientBlocked(claims.client_id))
      throw denied("client disabled or deleted");
    if (claims.origin_jti !== undefined && this.revocations.isSessionRevoked(claims.origin_jti))
      throw denied("session revoked");
    if (claims.username !== undefined && this.revocations.isUserBlocked(claims.sub))
      throw denied("user disabled or deleted");
    return claims;
  }

  /**
   * The admin operations, for a caller holding `poolgate/admin` or a verified access key
   * (UNAUTHENTICATED or FORBIDDEN otherwise): for GraphQL, checked here as well as by the
   * schema's directives (docs/security.md).
   */
  admin(caller: AdminCaller): AdminOperations {
    return new AdminOperations(caller, {
      users: this.users,
      sessions: this.sessions,
      recovery: this.recovery,
      mfa: this.mfa,
      groups: this.groups,
      resourceServers: this.resourceServers,
      clients: this.clients,
      now: this.now,
    });
  }

  /**
   * What /readyz reports: the store takes a write (this instance's heartbeat row: it answers,
   * and is neither read-only nor refusing writes for space lately), and the revocation sync is
   * current — all within READY_TIMEOUT_MS, so a silent database makes it false, not a hang.
   */
  ready(): Promise<boolean> {
    const at = performance.now();
    if (this.probe === undefined || at - this.probe.startedAt >= READY_PROBE_INTERVAL_MS) {
      this.probe = { startedAt: at, outcome: this.probeOnce() };
    }
    return this.probe.outcome;
  }

  private async probeOnce(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), READY_TIMEOUT_MS);
      timer.unref();
    });
    const check = (async () => {
      await this.store.heartbeat(this.instanceId, this.now());
      return (
        this.store.msSinceWriteRefused() >= READY_WRITE_REFUSED_WINDOW_MS &&
        this.revocations.staleness(this.now()) < Math.max(5000, this.config.syncIntervalMs * 10)
      );
    })().catch(() => false);
    try {
      return await Promise.race([check, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.revocations.stop(), this.pruning?.stop(), this.afterAnswer.drain()]);
    await this.d.hasher.close();
  }

  get deps(): IdentityDeps {
    return this.d;
  }
}
