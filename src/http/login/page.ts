/**
 * The hosted sign-in page's HTML (served by ../login.ts): the shell, the sign-in form, the
 * signed-in view and, as inert <template>s, the markup of every step of the sign-in
 * conversation and of the password reset. The script (./script.ts) clones one step at a time
 * into #step, so only the step on screen is in the document. Everything is inline and
 * nonce-bound: the Content-Security-Policy allows no other script or style, and the page
 * loads nothing from anywhere.
 */
import { ATTRIBUTE_LABELS, FACTOR_LABELS, MESSAGES } from "./messages";
import { SCRIPT } from "./script";
import { STYLE } from "./style";

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

/** A value as a JavaScript literal inside a <script>, where "</" would end the element. */
function scriptLiteral(value: unknown): string {
  return JSON.stringify(value).replace(/<\//g, "<\\/");
}

/** A 6-digit code field; the script strips spaces and checks the digits itself. */
function codeInput(id: string): string {
  return `<input id="${id}" name="code" class="code" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" spellcheck="false" required>`;
}

const CANCEL = `<div class="actions"><button type="button" class="secondary" data-action="cancel">Cancel</button></div>`;

/** Each step's markup; each starts with its heading, which takes the focus when it appears. */
const STEPS = `
  <template id="tpl-new-password">
    <h2 id="step-title" tabindex="-1">Choose a new password</h2>
    <p>Your password is temporary. Choose a new one to finish signing in.</p>
    <form id="new-password-form" novalidate>
      <label for="new-password">New password</label>
      <input id="new-password" name="new-password" type="password" autocomplete="new-password" required>
      <label for="new-password-confirm">Confirm new password</label>
      <input id="new-password-confirm" name="new-password-confirm" type="password" autocomplete="new-password" required>
      <div id="required-attributes"></div>
      <button type="submit">Continue</button>
    </form>
    ${CANCEL}
  </template>
  <template id="tpl-mfa-setup">
    <h2 id="step-title" tabindex="-1">Set up an authenticator app</h2>
    <p>Your account needs a code from an authenticator app at every sign-in.</p>
    <ol class="steps">
      <li>In your authenticator app, add an account.</li>
      <li>Scan the QR code, or type in the key.</li>
      <li>Enter the 6-digit code the app shows.</li>
    </ol>
    <div class="setup">
      <div id="qr" class="qr"></div>
      <div class="key">
        <p>Key for manual entry:</p>
        <code id="totp-secret" class="secret"></code>
        <p class="hint"><a id="otpauth-link" hidden>Open in an authenticator app on this device</a></p>
      </div>
    </div>
    <form id="mfa-setup-form" novalidate>
      <label for="setup-code">Code from the app</label>
      ${codeInput("setup-code")}
      <button type="submit">Verify and sign in</button>
    </form>
    ${CANCEL}
  </template>
  <template id="tpl-totp">
    <h2 id="step-title" tabindex="-1">Enter your authenticator code</h2>
    <p>Open your authenticator app and enter the 6-digit code it shows for this account.</p>
    <form id="code-form" novalidate>
      <label for="mfa-code">Code from the app</label>
      ${codeInput("mfa-code")}
      <button type="submit">Sign in</button>
    </form>
    ${CANCEL}
  </template>
  <template id="tpl-email-otp">
    <h2 id="step-title" tabindex="-1">Check your email</h2>
    <p>We sent a sign-in code to <strong id="code-destination"></strong>.</p>
    <form id="code-form" novalidate>
      <label for="mfa-code">Code from the email</label>
      ${codeInput("mfa-code")}
      <button type="submit">Sign in</button>
    </form>
    ${CANCEL}
  </template>
  <template id="tpl-select-mfa">
    <h2 id="step-title" tabindex="-1">How do you want to verify it’s you?</h2>
    <form id="select-mfa-form" novalidate>
      <fieldset>
        <legend>Get a sign-in code with</legend>
        <div id="mfa-options"></div>
      </fieldset>
      <button type="submit">Continue</button>
    </form>
    ${CANCEL}
  </template>
  <template id="tpl-forgot">
    <h2 id="step-title" tabindex="-1">Forgot your password?</h2>
    <p>Enter your username. If your account has a verified email address, we will send a code to it.</p>
    <form id="forgot-form" novalidate>
      <label for="forgot-username">Username</label>
      <input id="forgot-username" name="username" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required>
      <button type="submit">Send code</button>
    </form>
    <div class="actions"><button type="button" class="secondary" data-action="cancel">Back to sign in</button></div>
  </template>
  <template id="tpl-reset">
    <h2 id="step-title" tabindex="-1">Enter the code and a new password</h2>
    <p>We sent a code to <strong id="reset-destination"></strong>. It can take a minute to arrive.</p>
    <form id="reset-form" novalidate>
      <label for="reset-code">Code from the email</label>
      ${codeInput("reset-code")}
      <label for="reset-password">New password</label>
      <input id="reset-password" name="new-password" type="password" autocomplete="new-password" required>
      <label for="reset-password-confirm">Confirm new password</label>
      <input id="reset-password-confirm" name="new-password-confirm" type="password" autocomplete="new-password" required>
      <button type="submit">Change password</button>
    </form>
    <div class="actions">
      <button type="button" class="secondary" data-action="resend">Send a new code</button>
      <button type="button" class="secondary" data-action="cancel">Back to sign in</button>
    </div>
  </template>`;

export interface LoginPageInput {
  /** The app client to sign in with; undefined when none is configured or valid. */
  clientId: string | undefined;
  /** Shown instead of the form when the page cannot work (no or unusable client). */
  problem: string | undefined;
  nonce: string;
  /** Offer "Forgot your password?" (the pool's account recovery is by verified email). */
  forgotPassword: boolean;
}

/** The whole page; every interpolated value is escaped. */
export function loginPage({ clientId, problem, nonce, forgotPassword }: LoginPageInput): string {
  const script = SCRIPT.replace("__MESSAGES__", () => scriptLiteral(MESSAGES))
    .replace("__ATTRIBUTE_LABELS__", () => scriptLiteral(ATTRIBUTE_LABELS))
    .replace("__FACTOR_LABELS__", () => scriptLiteral(FACTOR_LABELS));
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
    </form>${
      forgotPassword
        ? `
    <p class="hint"><button id="forgot" type="button" class="link">Forgot your password?</button></p>`
        : ""
    }
  </section>
  <section id="step" hidden aria-labelledby="step-title"></section>
  <section id="signed-in" hidden aria-labelledby="claims-title">
    <h2 id="claims-title">Signed in as <span id="who"></span></h2>
    <dl id="claims"></dl>
    <div class="actions">
      <button id="refresh" type="button" class="secondary">Refresh tokens</button>
      <button id="sign-out" type="button">Sign out</button>
      <button id="sign-out-everywhere" type="button" class="secondary">Sign out everywhere</button>
    </div>
  </section>${STEPS}
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
