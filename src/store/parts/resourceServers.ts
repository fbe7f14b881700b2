/** A resource server (Cognito's term): an identifier and the custom scopes `id/scope` it defines. */
export interface ResourceServerRecord {
  id: string;
  name: string;
  /** Scope names without the `id/` prefix. */
  scopes: string[];
  createdAtMs: number;
}

/** Resource servers and the custom scopes they define. */
export interface ResourceServerStore {
  createResourceServer(server: ResourceServerRecord): Promise<void>;
  getResourceServer(id: string): Promise<ResourceServerRecord | undefined>;
  /** Ordered by id. */
  listResourceServers(): Promise<ResourceServerRecord[]>;
  /** Replaces name and scopes; false when unknown. */
  updateResourceServer(id: string, patch: { name: string; scopes: string[] }): Promise<boolean>;
  deleteResourceServer(id: string): Promise<boolean>;
}
