/**
 * App clients: public or confidential (a secret stored only as an HMAC), allowed scopes,
 * token and challenge-session lifetimes within Cognito's bounds, the refresh-rotation flag,
 * and the OAuth settings of the hosted sign-in (callback and sign-out URLs, allowed flows).
 */
import { createHmac, randomBytes, randomInt } from "node:crypto";
import { LRUCache } from "lru-cache";
import { PoolgateError } from "../errors";
import type { ClientPatch, ClientRecord, ClientStore, OAuthFlow } from "../store/store";
import { seal, unseal } from "../tokens/sealed";
import { safeEqual, storageHash } from "../tokens/secrets";
import type { ResourceServerService } from "./resourceServers";
import type { RevocationState } from "./revocations";
import { validateRedirectUris } from "./redirectUris";
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
  /**
   * Cognito's CallbackURLs: where /oauth2/authorize may send a code or tokens (exact match;
   * rules in redirectUris.ts). @default [] (no hosted sign-in)
   */
  callbackUrls?: readonly string[];
  /** Cognito's LogoutURLs: where sign-out may send the browser back to. @default [] */
  logoutUrls?: readonly string[];
  /**
   * Cognito's AllowedOAuthFlows. `code` and `implicit` need a callback URL,
   * `client_credentials` a secret. @default ["client_credentials"] with a secret, [] without
   */
  allowedOAuthFlows?: readonly OAuthFlow[];
}

/**
 * The settings `update` changes (Cognito's UpdateUserPoolClient for these): a list given
 * replaces the client's list; one left out stays as it is. `allowedScopes` is Cognito's
 * AllowedOAuthScopes.
 */
export interface UpdateClientInput {
  callbackUrls?: readonly string[];
  logoutUrls?: readonly string[];
  allowedOAuthFlows?: readonly OAuthFlow[];
  allowedScopes?: readonly string[];
}

/** Cognito's AllowedOAuthFlows values. */
export const OAUTH_FLOWS: readonly OAuthFlow[] = ["code", "implicit", "client_credentials"];

function isOAuthFlow(value: string): value is OAuthFlow {
  return (OAUTH_FLOWS as readonly string[]).includes(value);
}

/**
 * Flow names as an operator types them (`code,client_credentials`; empty for none), checked.
 */
export function parseOAuthFlows(text: string): OAuthFlow[] {
  const flows: OAuthFlow[] = [];
  for (const name of text.split(",").map((f) => f.trim())) {
    if (name === "") continue;
    if (!isOAuthFlow(name)) throw unknownFlow(name);
    flows.push(name);
  }
  return flows;
}

function unknownFlow(name: string): PoolgateError {
  return new PoolgateError(
    "BAD_USER_INPUT",
    `Unknown OAuth flow "${name.slice(0, 40)}": allowedOAuthFlows takes ${OAUTH_FLOWS.join(", ")}`,
  );
}

type OAuthSettings = Pick<ClientRecord, "callbackUrls" | "logoutUrls" | "allowedOAuthFlows">;

/** The OAuth settings of a client, checked together (see CreateClientInput). */
function oauthSettings(
  input: {
    callbackUrls: readonly string[];
    logoutUrls: readonly string[];
    allowedOAuthFlows: readonly string[];
  },
  confidential: boolean,
): OAuthSettings {
  const callbackUrls = validateRedirectUris(input.callbackUrls, "callbackUrls");
  const logoutUrls = validateRedirectUris(input.logoutUrls, "logoutUrls");
  const allowedOAuthFlows: OAuthFlow[] = [];
  for (const flow of new Set(input.allowedOAuthFlows)) {
    if (!isOAuthFlow(flow)) throw unknownFlow(String(flow));
    allowedOAuthFlows.push(flow);
  }
  for (const flow of ["code", "implicit"] as const) {
    if (allowedOAuthFlows.includes(flow) && callbackUrls.length === 0)
      throw new PoolgateError(
        "BAD_USER_INPUT",
        `The ${flow} flow needs at least one callback URL (callbackUrls)`,
      );
  }
  // Cognito's rule, and RFC 6749 §4.4: only a client that can authenticate gets tokens for itself.
  if (allowedOAuthFlows.includes("client_credentials") && !confidential)
    throw new PoolgateError(
      "BAD_USER_INPUT",
      "The client_credentials flow needs a client with a secret",
    );
  return { callbackUrls, logoutUrls, allowedOAuthFlows };
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
    const allowedScopes = await this.validScopes(
      input.allowedScopes ?? ["openid", "email", "profile"],
    );
    const confidential = input.generateSecret === true;
    const oauth = oauthSettings(
      {
        callbackUrls: input.callbackUrls ?? [],
        logoutUrls: input.logoutUrls ?? [],
        allowedOAuthFlows: input.allowedOAuthFlows ?? (confidential ? ["client_credentials"] : []),
      },
      confidential,
    );
    const grace = input.refreshTokenReuseGraceSeconds ?? this.defaultReuseGraceSeconds;
    if (!Number.isInteger(grace) || grace < 0 || grace > 3600) {
      throw new PoolgateError(
        "BAD_USER_INPUT",
        "refreshTokenReuseGraceSeconds must be from 0 to 3600",
      );
    }
    const clientId = newClientId();
    const clientSecret = confidential ? randomBytes(36).toString("base64url") : undefined;
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
      ...oauth,
      enabled: true,
      createdAtMs: nowMs,
    };
    await this.store.createClient(client);
    return { client: clientView(client), clientSecret };
  }

  /** Allowed scopes, deduplicated: valid names, custom ones defined by a resource server. */
  private async validScopes(scopes: readonly string[]): Promise<string[]> {
    const unique = [...new Set(scopes)];
    for (const s of unique) {
      if (!isValidScopeName(s))
        throw new PoolgateError("BAD_USER_INPUT", `Invalid scope name "${s.slice(0, 100)}"`);
    }
    await this.resourceServers.assertKnown(unique);
    return unique;
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

  /**
   * Changes a client's callback and sign-out URLs, OAuth flows and allowed scopes under the
   * rules of `create`, the result checked as a whole (clearing the callback URLs of a client
   * allowed the code flow is refused). Every instance drops its cached copy.
   */
  async update(clientId: string, input: UpdateClientInput, nowMs: number): Promise<ClientView> {
    if (
      input.callbackUrls === undefined &&
      input.logoutUrls === undefined &&
      input.allowedOAuthFlows === undefined &&
      input.allowedScopes === undefined
    ) {
      throw new PoolgateError(
        "BAD_USER_INPUT",
        "Nothing to update: give callbackUrls, logoutUrls, allowedOAuthFlows or allowedScopes",
      );
    }
    const current = await this.require(clientId);
    // All three OAuth settings are written as checked together, so that two updates racing
    // each other leave one checked combination, never a mix of both.
    const patch: ClientPatch = oauthSettings(
      {
        callbackUrls: input.callbackUrls ?? current.callbackUrls,
        logoutUrls: input.logoutUrls ?? current.logoutUrls,
        allowedOAuthFlows: input.allowedOAuthFlows ?? current.allowedOAuthFlows,
      },
      current.secretHash !== null,
    );
    if (input.allowedScopes !== undefined)
      patch.allowedScopes = await this.validScopes(input.allowedScopes);
    // The change feed has no kind for "settings changed": the note repeats the client's state
    // (client_unblocked), on which every instance drops its cached copy. A disabled client
    // needs none: enabling it appends client_unblocked, which drops the copies then.
    const note = current.enabled
      ? ({ kind: "client_unblocked", subject: clientId, atMs: nowMs } as const)
      : undefined;
    if (!(await this.store.updateClient(clientId, patch, note)))
      throw new PoolgateError("BAD_USER_INPUT", "No such app client");
    this.invalidate(clientId);
    const updated = await this.require(clientId);
    if (note && !updated.enabled) {
      // Disabled between our read and our write: its client_blocked came before our
      // client_unblocked in the feed, which would unblock it on the other instances.
      await this.store.updateClient(
        clientId,
        {},
        { kind: "client_blocked", subject: clientId, atMs: nowMs },
      );
      this.revocations.markClientBlocked(clientId, true);
    }
    return clientView(updated);
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
