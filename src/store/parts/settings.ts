/** Small named values the pool records about its own data (e.g. the username rule in force). */
export interface SettingsStore {
  getPoolSetting(name: string): Promise<string | undefined>;
  setPoolSetting(name: string, value: string): Promise<void>;
}
