/**
 * The username rules, in one place (issue 12 #9). Every username that enters poolgate —
 * sign-up, admin create, the CLI, sign-in, lookups, confirmation, lockout keys — goes
 * through `canonicalUsername` first, so `ａlice` (fullwidth) and `𝐚lice` (mathematical bold)
 * are `alice`, and cannot be registered beside her.
 *
 *   - NFKC (Unicode compatibility composition) folds lookalike presentation forms;
 *   - unless POOLGATE_USERNAME_CASE_SENSITIVE=true, the name is also lowercased: Cognito's
 *     case-insensitive pool "treats any variation in case as the same user" and flattens
 *     usernames to lowercase in its output, so the stored name is the lowercase one too.
 *
 * The store holds only canonical names; `applyUsernameRule` brings an existing store in line
 * when the rule changes (docs/operations.md).
 */
import type { Logger } from "pino";
import { PoolgateError } from "../errors";
import type { SettingsStore, UserStore } from "../store/store";

/** Cognito's username alphabet: letters, marks, symbols, digits, punctuation; no spaces or controls. */
const USERNAME = /^[\p{L}\p{M}\p{S}\p{N}\p{P}]{1,128}$/u;
/** Longer input cannot be a valid name even after NFKC: refused before normalising it. */
const MAX_INPUT_UTF16_UNITS = 1024;
/** The pool setting that records which rule the stored names follow. */
const RULE_SETTING = "username_rule";
const SCAN_PAGE = 1000;

export type UsernameRuleName = "nfkc" | "nfkc-lowercase";

export function usernameRuleName(caseSensitive: boolean): UsernameRuleName {
  return caseSensitive ? "nfkc" : "nfkc-lowercase";
}

/**
 * The form a username is stored, looked up and locked under, or undefined when no user can
 * have it (not a string, too long, or outside Cognito's alphabet after normalising).
 */
export function canonicalUsername(raw: unknown, caseSensitive: boolean): string | undefined {
  if (typeof raw !== "string" || raw.length === 0 || raw.length > MAX_INPUT_UTF16_UNITS)
    return undefined;
  let name = raw.normalize("NFKC");
  // Lowercasing can leave a string that NFKC would compose further; normalise again.
  if (!caseSensitive) name = name.toLowerCase().normalize("NFKC");
  return USERNAME.test(name) ? name : undefined;
}

/**
 * The form a prefix of usernames takes in the store (ListUsers' `username ^= "…"`): the same
 * folding as canonicalUsername, without the whole-name checks (a prefix may be empty);
 * undefined when no stored name can start with it.
 */
export function canonicalUsernamePrefix(raw: string, caseSensitive: boolean): string | undefined {
  if (raw.length > MAX_INPUT_UTF16_UNITS) return undefined;
  let prefix = raw.normalize("NFKC");
  if (!caseSensitive) prefix = prefix.toLowerCase().normalize("NFKC");
  return prefix === "" || USERNAME.test(prefix) ? prefix : undefined;
}

/** The canonical name, or BAD_USER_INPUT: for names being created. */
export function requireValidUsername(raw: unknown, caseSensitive: boolean): string {
  const name = canonicalUsername(raw, caseSensitive);
  if (name === undefined) {
    throw new PoolgateError(
      "BAD_USER_INPUT",
      "Username must be 1 to 128 letters, digits or symbols, without spaces",
    );
  }
  return name;
}

/**
 * Brings the stored usernames in line with the configured rule, once per change of rule
 * (recorded in the store, so a start with an unchanged rule reads one row). Names that are
 * not canonical are renamed to their canonical form; if two stored names share one canonical
 * form the start is refused, naming them, because only the operator can say which account
 * keeps the name (docs/operations.md, "Username rules").
 */
export async function applyUsernameRule(
  store: SettingsStore & Pick<UserStore, "listUsernames" | "updateUser">,
  caseSensitive: boolean,
  nowMs: number,
  logger: Logger,
): Promise<void> {
  const rule = usernameRuleName(caseSensitive);
  if ((await store.getPoolSetting(RULE_SETTING)) === rule) return;

  const owners = new Map<string, { sub: string; username: string }[]>();
  let after: string | undefined;
  for (;;) {
    const page = await store.listUsernames(after, SCAN_PAGE);
    for (const user of page) {
      const canonical = canonicalUsername(user.username, caseSensitive) ?? user.username;
      const list = owners.get(canonical) ?? [];
      list.push(user);
      owners.set(canonical, list);
    }
    if (page.length < SCAN_PAGE) break;
    after = page[page.length - 1]!.username;
  }

  const collisions = [...owners.values()].filter((list) => list.length > 1);
  if (collisions.length > 0) {
    const shown = collisions
      .slice(0, 10)
      .map((list) => list.map((u) => `${JSON.stringify(u.username)} (sub ${u.sub})`).join(" = "))
      .join("; ");
    throw new PoolgateError(
      "BAD_USER_INPUT",
      `Invalid configuration: under POOLGATE_USERNAME_CASE_SENSITIVE=${caseSensitive} ` +
        `${collisions.length} group(s) of stored usernames would be one user: ${shown}. ` +
        "Rename or delete all but one of each group (docs/operations.md, Username rules), " +
        (caseSensitive ? "" : "or set POOLGATE_USERNAME_CASE_SENSITIVE=true, ") +
        "then start again.",
    );
  }

  let renamed = 0;
  for (const [canonical, [user]] of owners) {
    if (user === undefined || user.username === canonical) continue;
    // The SRP verifier goes too: its x includes the username, so the old one can never match;
    // the user gets a new one at their next password sign-in (identity/signIn.ts).
    await store.updateUser(user.sub, { username: canonical, srpVerifierSealed: null }, nowMs, {
      kind: "user_changed",
      subject: user.sub,
      atMs: nowMs,
    });
    renamed++;
  }
  await store.setPoolSetting(RULE_SETTING, rule);
  if (renamed > 0) logger.warn({ renamed, rule }, "usernames renamed to their canonical form");
}
