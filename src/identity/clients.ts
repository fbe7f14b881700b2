/**
 * App clients: public or confidential (a secret stored only as an HMAC), allowed scopes,
 * token and challenge-session lifetimes within Cognito's bounds, and the refresh-rotation flag.
 */
import { createHmac, randomBytes, randomInt } from "node:crypto";
import { LRUCache } from "lru-cache";
import { PoolgateError } from "../errors";
import type { ClientRecord, ClientStore } from "../store/store";
import { seal, unseal } from "../tokens/sealed";
import { safeEqual, storageHash } from "../tokens/secrets";
import type { ResourceServerService } from "./resourceServers";
import type { RevocationState } from "./revocations";
import { isValidScopeName } from "./scopes";
import { clientView, type ClientView } from "./views";

/** Cognito's defaults and bounds (DESIGN §2). */
export const LIFETIMES = {
  accessTokenValiditySeconds: { default: 3600, min: 300, max: 86400 },
  idTokenValiditySeconds: { default: 3600, min: 300, max: 86400 },
  refreshTokenValiditySeconds: { default: 30 * 86400, min: 3600, max: 10 * 365 * 86400 },
  /** Cognito's AuthSessionValidity: how long a challenge session lives. */
  authSessionValidityMinutes: { default: 3, min: 3, max: 15 },
} as const;

export interface CreateClientInput {
  name: string;
  generateSecret?: boolean;
  allowedScopes?: readonly string[];
  accessTokenValiditySeconds?: number;
  idTokenValiditySeconds?: number;
  refreshTokenValiditySeconds?: number;
  rotateRefreshTokens?: boolean;
  refreshTokenReuseGraceSeconds?: number;
  /** @default 3 (Cognito's default; 3 to 15) */
  authSessionValidityMinutes?: number;
}

export interface CreatedClient {
  client: ClientView;
  /** Shown once, never stored. */
  clientSecret: string | undefined;
}

const CLIENT_SECRET_TYP = "poolgate-client-secret+jwe";

const CLIENT_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

/** 26 lowercase alphanumerics, the shape of a Cognito app client id. */
function newClientId(): string {
  let id = "";
  for (let i = 0; i < 26; i++) id += CLIENT_ID_ALPHABET[randomInt(CLIENT_ID_ALPHABET.length)];
  return id;
}

function lifetime(name: keyof typeof LIFETIMES, value: number | undefined): number {
  const bounds = LIFETIMES[name];
  if (value === undefined) return bounds.default;
  if (!Number.isInteger(value) || value < bounds.min || value > bounds.max) {
    throw new PoolgateError(
      "BAD_USER_INPUT",
      `${name} must be an integer from ${bounds.min} to ${bounds.max}`,
    );
  }
  return value;
}

/** A cached client: the record (its secret hash checks a secret) and the view handed out. */
interface CachedClient {
  readonly record: ClientRecord;
  readonly view: ClientView;
}

export class ClientService {
  private readonly cache: LRUCache<string, CachedClient>;

  constructor(
    private readonly store: ClientStore,
    private readonly hashKey: Uint8Array,
    /** Seals the secret itself, for SECRET_HASH (Cognito's API). */
    private readonly sealKey: Uint8Array,
    private readonly defaultReuseGraceSeconds: number,
    private readonly revocations: Pick<RevocationState, "markClientBlocked" | "isClientBlocked">,
    private readonly resourceServers: Pick<ResourceServerService, "assertKnown">,
    now: () => number = Date.now,
  ) {
    this.cache = new LRUCache({ max: 1000, ttl: 30_000, perf: { now } });
  }

  async create(input: CreateClientInput, nowMs: number): Promise<CreatedClient> {
    const name = input.name.trim();
    if (name.length === 0 || name.length > 128 || /\p{Cc}/u.test(name)) {
      throw new PoolgateError("BAD_USER_INPUT", "Client name must be 1 to 128 characters");
    }
    const allowedScopes = [...new Set(input.allowedScopes ?? ["openid", "email", "profile"])];
    for (const s of allowedScopes) {
      if (!isValidScopeName(s))
        throw new PoolgateError("BAD_USER_INPUT", `Invalid scope name "${s.slice(0, 100)}"`);
    }
    await this.resourceServers.assertKnown(allowedScopes);
    const grace = input.refreshTokenReuseGraceSeconds ?? this.defaultReuseGraceSeconds;
    if (!Number.isInteger(grace) || grace < 0 || grace > 3600) {
      throw new PoolgateError(
        "BAD_USER_INPUT",
        "refreshTokenReuseGraceSeconds must be from 0 to 3600",
      );
    }
    const clientId = newClientId();
    const clientSecret = input.generateSecret ? randomBytes(36).toString("base64url") : undefined;
    const client: ClientRecord = {
      clientId,
      name,
      secretHash: clientSecret ? this.hashSecret(clientId, clientSecret) : null,
      secretSealed: clientSecret ? await seal(this.sealKey, CLIENT_SECRET_TYP, clientSecret) : null,
      allowedScopes,
      accessTokenValiditySeconds: lifetime(
        "accessTokenValiditySeconds",
        input.accessTokenValiditySeconds,
      ),
      idTokenValiditySeconds: lifetime("idTokenValiditySeconds", input.idTokenValiditySeconds),
      refreshTokenValiditySeconds: lifetime(
        "refreshTokenValiditySeconds",
        input.refreshTokenValiditySeconds,
      ),
      rotateRefreshTokens: input.rotateRefreshTokens ?? false,
      refreshTokenReuseGraceSeconds: grace,
      authSessionValidityMinutes: lifetime(
        "authSessionValidityMinutes",
        input.authSessionValidityMinutes,
      ),
      callbackUrls: [],
      logoutUrls: [],
      allowedOAuthFlows: clientSecret ? ["client_credentials"] : [],
      enabled: true,
      createdAtMs: nowMs,
    };
    await this.store.createClient(client);
    return { client: clientView(client), clientSecret };
  }

  private hashSecret(clientId: string, secret: string): string {
    return storageHash(this.hashKey, `client-secret:${clientId}`, secret);
  }

  /**
   * Authenticates an app client. Confidential clients must present their secret (compared
   * in constant time against the stored HMAC); public clients must not present one.
   */
  async authenticate(
    clientId: string,
    clientSecret: string | null | undefined,
  ): Promise<ClientView> {
    const fail = (why: string) =>
      new PoolgateError("NOT_AUTHORIZED", "Client authentication failed", {
        logDetail: `client auth: ${why}`,
      });
    if (typeof clientId !== "string" || !/^[A-Za-z0-9_-]{1,128}$/.test(clientId))
      throw fail("malformed id");
    const cached = await this.cachedClient(clientId);
    if (!cached) throw fail("unknown client");
    const client = cached.record;
    if (!client.enabled || this.revocations.isClientBlocked(clientId))
      throw fail("client disabled");
    if (client.secretHash === null) {
      if (clientSecret) throw fail("secret sent to a public client");
      return cached.view;
    }
    if (!clientSecret || clientSecret.length > 512) throw fail("secret missing");
    if (!safeEqual(this.hashSecret(clientId, clientSecret), client.secretHash))
      throw fail("wrong secret");
    return cached.view;
  }

  /**
   * Authenticates an app client by Cognito's SECRET_HASH, Base64(HMAC-SHA256(client secret,
   * username + client id)), as Cognito's API takes it instead of the secret: a confidential
   * client must send it, right for this username (compared in constant time); a public client
   * must send none. A confidential client created before its secret was kept sealed cannot use
   * it: give it a new secret (docs/cognito-api.md).
   */
  async authenticateWithSecretHash(
    clientId: string,
    username: string,
    secretHash: string | null | undefined,
  ): Promise<ClientView> {
    const fail = (message: string, why: string) =>
      new PoolgateError("NOT_AUTHORIZED", message, { logDetail: `client auth: ${why}` });
    if (typeof clientId !== "string" || !/^[A-Za-z0-9_-]{1,128}$/.test(clientId))
      throw fail("Client authentication failed", "malformed id");
    const cached = await this.cachedClient(clientId);
    if (!cached) throw fail("Client authentication failed", "unknown client");
    const client = cached.record;
    if (!client.enabled || this.revocations.isClientBlocked(clientId))
      throw fail("Client authentication failed", "client disabled");
    if (client.secretHash === null) {
      if (secretHash)
        throw fail("Client authentication failed", "SECRET_HASH sent to a public client");
      return cached.view;
    }
    if (!secretHash)
      throw fail(
        `Client ${clientId} is configured with secret but SECRET_HASH was not received`,
        "SECRET_HASH missing",
      );
    const secret =
      client.secretSealed === null
        ? undefined
        : await unseal(this.sealKey, CLIENT_SECRET_TYP, client.secretSealed, 4096);
    const expected =
      secret === undefined
        ? undefined
        : createHmac("sha256", secret)
            .update(username + clientId)
            .digest("base64");
    // Compared even when the secret is not kept, against a value no hash equals.
    if (!safeEqual(secretHash.slice(0, 128), expected ?? "\0".repeat(44)) || expected === undefined)
      throw fail(
        `Unable to verify secret hash for client ${clientId}`,
        secret === undefined
          ? "secret not kept (created before it was sealed)"
          : "wrong SECRET_HASH",
      );
    return cached.view;
  }

  /**
   * Clients are read on every sign-in, refresh and client-credentials grant but change
   * rarely: a copy is kept for up to 30 s, dropped at once by a change here and, through the
   * change feed (client_blocked / client_unblocked), by a change on another instance.
   */
  private async cachedClient(clientId: string): Promise<CachedClient | undefined> {
    const cached = this.cache.get(clientId);
    if (cached) return cached;
    const record = await this.store.getClient(clientId);
    if (!record) return undefined;
    const entry = { record, view: clientView(record) };
    this.cache.set(clientId, entry);
    return entry;
  }

  invalidate(clientId: string): void {
    this.cache.delete(clientId);
  }

  private async require(clientId: string): Promise<ClientRecord> {
    const client = await this.store.getClient(clientId);
    if (!client) throw new PoolgateError("BAD_USER_INPUT", "No such app client");
    return client;
  }

  /**
   * Disabling a client rejects its tokens from the next request on (every instance within
   * a second) and refuses its sign-ins and refreshes; enabling it again restores them.
   */
  async setEnabled(clientId: string, enabled: boolean, nowMs: number): Promise<void> {
    await this.require(clientId);
    await this.store.updateClient(
      clientId,
      { enabled },
      { kind: enabled ? "client_unblocked" : "client_blocked", subject: clientId, atMs: nowMs },
    );
    this.invalidate(clientId);
    this.revocations.markClientBlocked(clientId, !enabled);
  }

  /** Deleting a client rejects its tokens at once; its refresh tokens fail client authentication. */
  async delete(clientId: string, nowMs: number): Promise<void> {
    await this.require(clientId);
    await this.store.deleteClient(clientId, {
      kind: "client_blocked",
      subject: clientId,
      atMs: nowMs,
    });
    this.revocations.markClientBlocked(clientId, true);
    this.invalidate(clientId);
  }

  async list(): Promise<ClientView[]> {
    return (await this.store.listClients()).map(clientView);
  }

  async get(clientId: string): Promise<ClientView | undefined> {
    const client = await this.store.getClient(clientId);
    return client && clientView(client);
  }
}
