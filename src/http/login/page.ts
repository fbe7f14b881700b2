/**
 * The hosted sign-in page's HTML, CSS and script (served by ../login.ts). Everything is
 * inline and nonce-bound, so the Content-Security-Policy allows no other script or style and
 * the page loads nothing from anywhere. The script keeps the access token in a variable
 * only (never in storage); the refresh token lives in the HttpOnly cookie, out of reach of
 * any script, and a reload restores the session through a cookie refresh.
 *
 * The script is plain ES2017 in a string: it is served as is, never bundled.
 */

/** Error codes → what the page says. The gateway's codes (README "Error codes") plus two of the page's own. */
export const MESSAGES: Readonly<Record<string, string>> = {
  NOT_AUTHORIZED: "Incorrect username or password.",
  TOO_MANY_FAILED_ATTEMPTS: "Too many failed attempts. Wait a moment, then try again.",
  USER_NOT_CONFIRMED:
    "Your account is not confirmed yet. Confirm it with the code you were sent, then sign in.",
  PASSWORD_RESET_REQUIRED:
    "You need a new password before you can sign in. Ask your administrator to set one.",
  SERVICE_UNAVAILABLE: "The service is temporarily unavailable. Try again in a moment.",
  INVALID_SCOPE: "This application may not request the access it asked for.",
  REFRESH_TOKEN_EXPIRED: "Your session has expired. Please sign in again.",
  REFRESH_TOKEN_REVOKED: "Your session has ended. Please sign in again.",
  INVALID_REFRESH_TOKEN: "Your session is no longer valid. Please sign in again.",
  UNAUTHENTICATED: "Your session has ended. Please sign in again.",
  BAD_USER_INPUT: "Enter a valid username and password.",
  BAD_REQUEST: "The request was not understood. Reload the page and try again.",
  NETWORK_ERROR: "Could not reach the server. Check your connection and try again.",
  INTERNAL_SERVER_ERROR: "Something went wrong on our side. Try again.",
};

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

const STYLE = `
:root { color-scheme: light dark; --bg: #f4f5f7; --card: #fff; --text: #1b1d21; --muted: #5b616e;
  --accent: #0b5cd5; --accent-text: #fff; --border: #c9ced6; --error-bg: #fdecec; --error: #a4161a;
  --ok-bg: #e8f3ec; --ok: #1e6b3a; }
@media (prefers-color-scheme: dark) { :root { --bg: #15171b; --card: #1f2228; --text: #eceef2;
  --muted: #a7adb8; --accent: #6ea8ff; --accent-text: #0b1020; --border: #3b404a; --error-bg: #3a1d1f;
  --error: #ffb3b5; --ok-bg: #183023; --ok: #9be0b4; } }
* { box-sizing: border-box; }
body { margin: 0; min-height: 100vh; display: grid; place-items: center; background: var(--bg);
  color: var(--text); font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { width: min(34rem, calc(100vw - 2rem)); background: var(--card); border: 1px solid var(--border);
  border-radius: 12px; padding: 2rem; box-shadow: 0 1px 3px rgb(0 0 0 / 0.08); }
h1 { font-size: 1.5rem; margin: 0 0 1rem; }
h1:focus { outline: none; }
h2 { font-size: 1.1rem; margin: 1.25rem 0 0.5rem; }
label { display: block; font-weight: 600; margin: 1rem 0 0.25rem; }
input { width: 100%; padding: 0.6rem 0.75rem; font: inherit; color: inherit; background: transparent;
  border: 1px solid var(--border); border-radius: 8px; }
input[aria-invalid="true"] { border-color: var(--error); }
button { font: inherit; font-weight: 600; padding: 0.6rem 1rem; border-radius: 8px; cursor: pointer;
  border: 1px solid var(--accent); background: var(--accent); color: var(--accent-text); }
button.secondary { background: transparent; color: var(--accent); }
button:disabled { opacity: 0.6; cursor: progress; }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
form button { width: 100%; margin-top: 1.5rem; }
.actions { display: flex; flex-wrap: wrap; gap: 0.5rem; margin-top: 1.25rem; }
.actions button { padding: 0.5rem 0.8rem; }
.alert { margin: 0 0 1rem; padding: 0.75rem 1rem; border-radius: 8px; background: var(--error-bg);
  color: var(--error); font-weight: 600; }
.alert:empty, .status:empty { display: none; }
.status { margin: 0 0 1rem; padding: 0.5rem 0.75rem; border-radius: 8px; background: var(--ok-bg);
  color: var(--ok); }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.35rem 1rem; margin: 0; }
dt { color: var(--muted); }
dd { margin: 0; overflow-wrap: anywhere; }
.hint { color: var(--muted); font-size: 0.9rem; margin: 1rem 0 0; }
[hidden] { display: none !important; }
`;

const SCRIPT = `
(function () {
  "use strict";
  var MESSAGES = __MESSAGES__;
  var app = document.getElementById("app");
  var clientId = app.getAttribute("data-client-id");
  var $ = function (id) { return document.getElementById(id); };
  var title = $("title"), alertBox = $("alert"), statusBox = $("status");
  var signedOut = $("signed-out"), signedIn = $("signed-in"), form = $("sign-in-form");
  var username = $("username"), password = $("password"), submit = $("sign-in");
  // The access token lives in this variable only: never in localStorage or a cookie.
  var accessToken = null;
  var expiresAt = 0;

  function messageFor(code) { return MESSAGES[code] || MESSAGES.INTERNAL_SERVER_ERROR; }
  function showError(code) { statusBox.textContent = ""; alertBox.textContent = messageFor(code); }
  function showStatus(text) { alertBox.textContent = ""; statusBox.textContent = text; }
  function clearMessages() { alertBox.textContent = ""; statusBox.textContent = ""; }

  async function gql(query, variables, token) {
    var headers = { "content-type": "application/json" };
    if (token) headers.authorization = "Bearer " + token;
    var res;
    try {
      res = await fetch("/graphql", {
        method: "POST", headers: headers, credentials: "same-origin", cache: "no-store",
        body: JSON.stringify({ query: query, variables: variables || {} })
      });
    } catch (e) {
      throw { code: "NETWORK_ERROR" };
    }
    var body;
    try { body = await res.json(); } catch (e) {
      throw { code: res.status === 503 ? "SERVICE_UNAVAILABLE" : "INTERNAL_SERVER_ERROR" };
    }
    if (body.errors && body.errors.length > 0) {
      var ext = body.errors[0].extensions || {};
      throw { code: typeof ext.code === "string" ? ext.code : "INTERNAL_SERVER_ERROR" };
    }
    return body.data;
  }
  function codeOf(err) { return err && typeof err.code === "string" ? err.code : "INTERNAL_SERVER_ERROR"; }

  var ME = "{ me { sub username email emailVerified name groups authTime } }";

  function row(list, label, value) {
    if (value === null || value === undefined || value === "") return;
    var dt = document.createElement("dt"); dt.textContent = label;
    var dd = document.createElement("dd"); dd.textContent = value;
    list.appendChild(dt); list.appendChild(dd);
  }

  async function showSession(focus) {
    var data = await gql(ME, {}, accessToken);
    var me = data.me;
    if (!me) throw { code: "UNAUTHENTICATED" };
    var list = $("claims");
    list.textContent = "";
    row(list, "Username", me.username);
    row(list, "Subject (sub)", me.sub);
    row(list, "Name", me.name);
    if (me.email) row(list, "Email", me.email + (me.emailVerified ? " (verified)" : " (not verified)"));
    row(list, "Groups", me.groups.length ? me.groups.join(", ") : "none");
    if (me.authTime) row(list, "Signed in at", new Date(me.authTime * 1000).toLocaleString());
    row(list, "Access token valid until", new Date(expiresAt).toLocaleTimeString());
    $("who").textContent = me.username;
    document.title = "Signed in · poolgate";
    title.textContent = "Your account";
    signedOut.hidden = true;
    signedIn.hidden = false;
    if (focus) title.focus();
  }

  function showSignedOut(focus) {
    accessToken = null;
    expiresAt = 0;
    $("claims").textContent = "";
    document.title = "Sign in · poolgate";
    title.textContent = "Sign in";
    signedIn.hidden = true;
    signedOut.hidden = false;
    if (focus) username.focus();
  }

  function accept(result) {
    accessToken = result.accessToken;
    expiresAt = Date.now() + result.expiresIn * 1000;
  }

  var REFRESH = "mutation Refresh($input: RefreshInput!) { refresh(input: $input) { accessToken expiresIn } }";

  async function restore() {
    showStatus("Checking your session…");
    try {
      var data = await gql(REFRESH, { input: { clientId: clientId } });
      accept(data.refresh);
      clearMessages();
      await showSession(false);
    } catch (err) {
      var code = codeOf(err);
      // No cookie (INVALID_REFRESH_TOKEN) is the ordinary signed-out state: nothing to say.
      if (code === "INVALID_REFRESH_TOKEN") clearMessages(); else showError(code);
      showSignedOut(false);
    }
  }

  function invalid(field, on) {
    if (on) field.setAttribute("aria-invalid", "true"); else field.removeAttribute("aria-invalid");
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    invalid(username, false); invalid(password, false);
    if (!username.value.trim() || !password.value) {
      var empty = !username.value.trim() ? username : password;
      invalid(empty, true);
      alertBox.textContent = empty === username ? "Enter your username." : "Enter your password.";
      statusBox.textContent = "";
      empty.focus();
      return;
    }
    submit.disabled = true;
    form.setAttribute("aria-busy", "true");
    clearMessages();
    try {
      var data = await gql(
        "mutation SignIn($input: SignInInput!) { signIn(input: $input) { accessToken expiresIn } }",
        { input: { clientId: clientId, username: username.value.trim(), password: password.value, cookie: true } }
      );
      password.value = "";
      accept(data.signIn);
      await showSession(true);
    } catch (err) {
      var code = codeOf(err);
      showError(code);
      if (code === "NOT_AUTHORIZED") { invalid(username, true); invalid(password, true); }
      password.value = "";
      password.focus();
    } finally {
      submit.disabled = false;
      form.removeAttribute("aria-busy");
    }
  });

  $("refresh").addEventListener("click", async function () {
    try {
      var data = await gql(REFRESH, { input: { clientId: clientId } });
      accept(data.refresh);
      await showSession(false);
      showStatus("Tokens refreshed.");
    } catch (err) {
      showError(codeOf(err));
      showSignedOut(true);
    }
  });

  async function signOut(everywhere) {
    try {
      if (everywhere) await gql("mutation { globalSignOut }", {}, accessToken);
      else await gql("mutation Revoke($input: RevokeInput!) { revoke(input: $input) }", { input: { clientId: clientId } });
      showSignedOut(true);
      showStatus(everywhere ? "You have signed out on every device." : "You have signed out.");
    } catch (err) {
      showError(codeOf(err));
    }
  }
  $("sign-out").addEventListener("click", function () { signOut(false); });
  $("sign-out-everywhere").addEventListener("click", function () { signOut(true); });

  restore();
})();
`;

export interface LoginPageInput {
  /** The app client to sign in with; undefined when none is configured or valid. */
  clientId: string | undefined;
  /** Shown instead of the form when the page cannot work (no or unusable client). */
  problem: string | undefined;
  nonce: string;
}

/** The whole page; every interpolated value is escaped. */
export function loginPage({ clientId, problem, nonce }: LoginPageInput): string {
  const script = SCRIPT.replace("__MESSAGES__", () =>
    // Inside a <script>, "</" would end the element: escape the slash.
    JSON.stringify(MESSAGES).replace(/<\//g, "<\\/"),
  );
  const n = escapeHtml(nonce);
  const body =
    problem !== undefined || clientId === undefined
      ? `<h1 id="title">Sign-in is not available</h1>
  <p class="alert" role="alert">${escapeHtml(problem ?? "No app client is configured.")}</p>
  <p class="hint">Operators: set <code>POOLGATE_LOGIN_CLIENT_ID</code> to a public app client, or open <code>/login?client_id=…</code>.</p>`
      : `<h1 id="title" tabindex="-1">Sign in</h1>
  <div id="alert" class="alert" role="alert" aria-live="assertive" aria-atomic="true"></div>
  <div id="status" class="status" role="status" aria-live="polite" aria-atomic="true"></div>
  <section id="signed-out" hidden aria-labelledby="title">
    <form id="sign-in-form" novalidate>
      <label for="username">Username</label>
      <input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required>
      <label for="password">Password</label>
      <input id="password" name="password" type="password" autocomplete="current-password" required>
      <button id="sign-in" type="submit">Sign in</button>
    </form>
  </section>
  <section id="signed-in" hidden aria-labelledby="claims-title">
    <h2 id="claims-title">Signed in as <span id="who"></span></h2>
    <dl id="claims"></dl>
    <div class="actions">
      <button id="refresh" type="button" class="secondary">Refresh tokens</button>
      <button id="sign-out" type="button">Sign out</button>
      <button id="sign-out-everywhere" type="button" class="secondary">Sign out everywhere</button>
    </div>
  </section>
  <noscript><p class="alert">This page needs JavaScript.</p></noscript>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Sign in · poolgate</title>
<style nonce="${n}">${STYLE}</style>
</head>
<body>
<main id="app"${clientId !== undefined ? ` data-client-id="${escapeHtml(clientId)}"` : ""}>
  ${body}
</main>
${problem === undefined && clientId !== undefined ? `<script nonce="${n}">${script}</script>` : ""}
</body>
</html>
`;
}
