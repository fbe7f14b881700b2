/**
 * Resource servers and their custom scopes (`identifier/scope`), as in Cognito. `poolgate`
 * is reserved: it defines the built-in `poolgate/admin` and `poolgate/revocations` scopes.
 */
import { PoolgateError } from "../errors";
import {
  StoreConflictError,
  type ResourceServerRecord,
  type ResourceServerStore,
} from "../store/store";
import { ADMIN_SCOPE, OIDC_SCOPES, REVOCATIONS_SCOPE, USER_ADMIN_SCOPE } from "./scopes";

/** RFC 6749 scope-token characters; the identifier may contain "/" (URLs), a scope name may not. */
const IDENTIFIER = /^[\x21\x23-\x5B\x5D-\x7E]{1,256}$/;
const SCOPE_NAME = /^[\x21\x23-\x2E\x30-\x5B\x5D-\x7E]{1,256}$/;
const RESERVED = "poolgate";

function validate(id: string, name: string, scopes: readonly string[]): string[] {
  if (!IDENTIFIER.test(id))
    throw new PoolgateError(
      "BAD_USER_INPUT",
      "Resource server identifier must be 1 to 256 visible characters",
    );
  if (id === RESERVED)
    throw new PoolgateError(
      "BAD_USER_INPUT",
      `"${RESERVED}" is reserved for poolgate's own scopes`,
    );
  if (name.length === 0 || name.length > 256 || /\p{Cc}/u.test(name)) {
    throw new PoolgateError("BAD_USER_INPUT", "Resource server name must be 1 to 256 characters");
  }
  if (scopes.length > 100)
    throw new PoolgateError("BAD_USER_INPUT", "At most 100 scopes per resource server");
  for (const s of scopes) {
    if (!SCOPE_NAME.test(s))
      throw new PoolgateError(
        "BAD_USER_INPUT",
        `Invalid scope name "${s.slice(0, 64)}" (no "/", spaces or quotes)`,
      );
  }
  return [...new Set(scopes)];
}

/** How long this instance trusts its copy of the scope list (other instances' changes). */
const KNOWN_SCOPES_TTL_MS = 1000;

export class ResourceServerService {
  private known: { scopes: ReadonlySet<string>; atMs: number } | undefined;

  constructor(
    private readonly store: ResourceServerStore,
    private readonly now: () => number = Date.now,
  ) {}

  async create(
    input: { id: string; name?: string; scopes: readonly string[] },
    nowMs: number,
  ): Promise<ResourceServerRecord> {
    const name = input.name ?? input.id;
    const server: ResourceServerRecord = {
      id: input.id,
      name,
      scopes: validate(input.id, name, input.scopes),
      createdAtMs: nowMs,
    };
    try {
      await this.store.createResourceServer(server);
      this.known = undefined;
    } catch (err) {
      if (err instanceof StoreConflictError)
        throw new PoolgateError("BAD_USER_INPUT", "A resource server with this identifier exists");
      throw err;
    }
    return server;
  }

  async update(input: {
    id: string;
    name?: string;
    scopes: readonly string[];
  }): Promise<ResourceServerRecord> {
    const current = await this.store.getResourceServer(input.id);
    if (!current) throw new PoolgateError("BAD_USER_INPUT", "No such resource server");
    const name = input.name ?? current.name;
    const scopes = validate(input.id, name, input.scopes);
    await this.store.updateResourceServer(input.id, { name, scopes });
    this.known = undefined;
    return { ...current, name, scopes };
  }

  async delete(id: string): Promise<boolean> {
    const deleted = await this.store.deleteResourceServer(id);
    this.known = undefined;
    return deleted;
  }

  list(): Promise<ResourceServerRecord[]> {
    return this.store.listResourceServers();
  }

  /** Every scope a client may be allowed: OIDC, Cognito's, poolgate's own, and each server's. */
  async knownScopes(): Promise<ReadonlySet<string>> {
    // Read on every client-credentials grant: a copy kept for a second keeps a store query
    // off that path; this instance's own changes drop it at once.
    const nowMs = this.now();
    if (this.known && nowMs - this.known.atMs < KNOWN_SCOPES_TTL_MS) return this.known.scopes;
    const scopes = new Set<string>([
      ...OIDC_SCOPES,
      USER_ADMIN_SCOPE,
      ADMIN_SCOPE,
      REVOCATIONS_SCOPE,
    ]);
    for (const rs of await this.store.listResourceServers())
      for (const s of rs.scopes) scopes.add(`${rs.id}/${s}`);
    this.known = { scopes, atMs: nowMs };
    return scopes;
  }

  /** Throws INVALID_SCOPE naming the first scope no resource server defines. */
  async assertKnown(scopes: readonly string[]): Promise<void> {
    const known = await this.knownScopes();
    const unknown = scopes.find((s) => !known.has(s));
    if (unknown !== undefined) {
      throw new PoolgateError(
        "INVALID_SCOPE",
        `Scope "${unknown.slice(0, 100)}" is not defined by any resource server`,
      );
    }
  }
}
