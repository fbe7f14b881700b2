/**
 * The HTML of the OpenID provider's hosted sign-in (GET/POST /login after /oauth2/authorize):
 * one complete document per step of the conversation, run server-side with plain forms. No
 * script at all: every form posts to /login with the hidden `csrf`, `flow` and `step`, and the
 * HTTP driver reads the fields named here. The look, the labels and the escaping are those of
 * the script-driven page (src/http/login/), whose stylesheet is inlined under the response's
 * CSP nonce; nothing is loaded from anywhere and no element carries a `style` attribute
 * (style-src allows the nonce only).
 *
 * Every interpolated value is escaped, but for `qrSvg`, which the server draws itself.
 */
import { ATTRIBUTE_LABELS, FACTOR_LABELS, MESSAGES } from "../http/login/messages";
import { escapeHtml } from "../http/login/page";
import { STYLE } from "../http/login/style";

export interface PageFrame {
  nonce: string;
  csrf: string;
  flow: string;
  /**
   * Shown in role=alert above the form; the autofocused field is aria-describedby it, so a
   * screen reader reads it when the page loads (a live region present at load may go unread).
   */
  error?: string;
  /** shown in role=status */
  notice?: string;
}

export type HostedStep =
  | { step: "sign-in"; username?: string; forgotPassword: boolean; signUp: boolean }
  /** Attribute names like "email", "name", "custom:x"; labelled by ATTRIBUTE_LABELS, else the name. */
  | { step: "new-password"; requiredAttributes: string[] }
  /** `qrSvg` is trusted SVG markup made by the server (inserted raw); secret and URI are escaped. */
  | { step: "mfa-setup"; qrSvg: string; secret: string; otpauthUri: string }
  | { step: "totp" }
  | { step: "email-otp"; destination: string }
  /** e.g. "SOFTWARE_TOKEN_MFA", "EMAIL_OTP"; labelled by FACTOR_LABELS. */
  | { step: "select-mfa"; factors: string[] }
  | { step: "forgot"; username?: string }
  | { step: "reset"; destination: string }
  | { step: "sign-up"; username?: string; email?: string; requiredAttributes: string[] }
  | { step: "confirm-sign-up"; destination: string };

/** The secondary actions, each its own small form so that the main form's `required` fields do not block it. */
type Action = "forgot-start" | "sign-up-start" | "cancel" | "resend";

const ACTION_LABELS: Readonly<Record<Action, string>> = {
  "forgot-start": "Forgot your password?",
  "sign-up-start": "Create an account",
  cancel: "Back to sign in",
  resend: "Send a new code",
};

/**
 * Secondary actions are forms here, not script-driven buttons: without these rules the shared
 * stylesheet would stretch their buttons like a form's submit button.
 */
const LOCAL_STYLE = `
.actions form { margin: 0; }
.actions form button { width: auto; margin-top: 0; }
.actions form button.link { padding: 0.5rem 0; }
`;

/** A text field the driver reads. `value` pre-fills it (never for a password). */
interface Field {
  name: string;
  label: string;
  type: "text" | "password" | "email" | "tel";
  /** An HTML autofill token; omitted when none fits. */
  autocomplete?: string;
  value?: string;
  /** A 6-digit code: numeric keyboard, one-time-code autofill, pattern. */
  code?: boolean;
  /** Usernames, codes and addresses: no capitalisation, no spell-checking. */
  verbatim?: boolean;
}

/** OIDC standard claims → HTML autofill tokens (WHATWG HTML §4.10.18.7.1). */
const ATTRIBUTE_AUTOCOMPLETE: Readonly<Record<string, string>> = {
  name: "name",
  given_name: "given-name",
  family_name: "family-name",
  middle_name: "additional-name",
  nickname: "nickname",
  email: "email",
  phone_number: "tel",
  birthdate: "bday",
  gender: "sex",
  locale: "language",
  address: "street-address",
  website: "url",
  profile: "url",
  picture: "photo",
};

/** A lookup that ignores Object.prototype: an attribute named "constructor" is just a name. */
function own(table: Readonly<Record<string, string>>, key: string): string | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

const CODE_ATTRIBUTES = `inputmode="numeric" pattern="[0-9]{6}" class="code"`;
const VERBATIM_ATTRIBUTES = `autocapitalize="none" spellcheck="false"`;

function fieldId(field: Field, index: number): string {
  // Attribute names may hold anything ("custom:x"); an id made of the position is always valid.
  return field.name.startsWith("attr:") ? `attr-${index}` : field.name.replace(/_/g, "-");
}

/** Fields with their labels; the autofocus goes to the first field not yet filled in. */
function renderFields(fields: Field[], frame: PageFrame): string {
  const firstEmpty = fields.findIndex((f) => f.value === undefined || f.value === "");
  const focus = firstEmpty === -1 ? 0 : firstEmpty;
  return fields
    .map((field, i) => {
      const id = fieldId(field, i);
      const attributes = [
        `id="${id}"`,
        `name="${escapeHtml(field.name)}"`,
        `type="${field.type}"`,
        field.autocomplete !== undefined ? `autocomplete="${field.autocomplete}"` : "",
        field.code ? CODE_ATTRIBUTES : "",
        field.verbatim || field.code ? VERBATIM_ATTRIBUTES : "",
        field.value !== undefined && field.value !== "" ? `value="${escapeHtml(field.value)}"` : "",
        "required",
        i === focus ? autofocus(frame) : "",
      ].filter((a) => a !== "");
      return `<label for="${id}">${escapeHtml(field.label)}</label>
    <input ${attributes.join(" ")}>`;
    })
    .join("\n    ");
}

/** The focused field also reads out the error, which a screen reader may not announce on load. */
function autofocus(frame: PageFrame): string {
  return hasText(frame.error) ? `autofocus aria-describedby="error"` : "autofocus";
}

function hasText(text: string | undefined): text is string {
  return text !== undefined && text !== "";
}

function usernameField(value: string | undefined): Field {
  return {
    name: "username",
    label: "Username",
    type: "text",
    autocomplete: "username",
    verbatim: true,
    ...(value !== undefined ? { value } : {}),
  };
}

function codeField(label: string): Field {
  return { name: "code", label, type: "text", autocomplete: "one-time-code", code: true };
}

function newPasswordFields(): Field[] {
  return [
    { name: "new_password", label: "New password", type: "password", autocomplete: "new-password" },
    {
      name: "new_password_confirm",
      label: "Confirm new password",
      type: "password",
      autocomplete: "new-password",
    },
  ];
}

function attributeField(name: string): Field {
  const type = name === "email" ? "email" : name === "phone_number" ? "tel" : "text";
  const autocomplete = own(ATTRIBUTE_AUTOCOMPLETE, name);
  return {
    name: `attr:${name}`,
    label: own(ATTRIBUTE_LABELS, name) ?? name,
    type,
    ...(autocomplete !== undefined ? { autocomplete } : {}),
    verbatim: type !== "text",
  };
}

function attributeFields(names: string[], skip: string[] = []): Field[] {
  return [...new Set(names)].filter((n) => !skip.includes(n)).map(attributeField);
}

/** What every form carries; `indent` lays out the markup (values hold no layout of their own). */
function hiddenInputs(frame: PageFrame, step: string, indent: string): string {
  return [
    `<input type="hidden" name="csrf" value="${escapeHtml(frame.csrf)}">`,
    `<input type="hidden" name="flow" value="${escapeHtml(frame.flow)}">`,
    `<input type="hidden" name="step" value="${escapeHtml(step)}">`,
  ].join(`\n${indent}`);
}

/** The step's own form: its fields and one submit button. */
function stepForm(frame: PageFrame, step: string, fields: string, submit: string): string {
  return `<form method="post" action="/login">
    ${hiddenInputs(frame, step, "    ")}
    ${fields}
    <button type="submit">${escapeHtml(submit)}</button>
  </form>`;
}

function actionForms(frame: PageFrame, actions: Action[]): string {
  if (actions.length === 0) return "";
  const forms = actions.map(
    (action) => `<form method="post" action="/login">
      ${hiddenInputs(frame, action, "      ")}
      <button type="submit" class="${action === "forgot-start" ? "link" : "secondary"}">${escapeHtml(ACTION_LABELS[action])}</button>
    </form>`,
  );
  return `
  <div class="actions">
    ${forms.join("\n    ")}
  </div>`;
}

/** What one step shows: its heading, the markup before its form, the form, the secondary actions. */
interface StepView {
  title: string;
  intro: string;
  form: string;
  actions: Action[];
}

function stepView(frame: PageFrame, s: HostedStep): StepView {
  const form = (fields: Field[], submit: string) =>
    stepForm(frame, s.step, renderFields(fields, frame), submit);
  const back: Action[] = ["cancel"];
  const sentTo = (destination: string, rest: string) =>
    `<p>We sent a code to <strong>${escapeHtml(destination)}</strong>. ${rest}</p>`;
  switch (s.step) {
    case "sign-in":
      return {
        title: "Sign in",
        intro: "",
        form: form(
          [
            usernameField(s.username),
            {
              name: "password",
              label: "Password",
              type: "password",
              autocomplete: "current-password",
            },
          ],
          "Sign in",
        ),
        actions: [
          ...(s.forgotPassword ? (["forgot-start"] as const) : []),
          ...(s.signUp ? (["sign-up-start"] as const) : []),
        ],
      };
    case "new-password":
      return {
        title: "Choose a new password",
        intro: `<p>Your password is temporary. Choose a new one to finish signing in.</p>`,
        form: form([...newPasswordFields(), ...attributeFields(s.requiredAttributes)], "Continue"),
        actions: back,
      };
    case "mfa-setup":
      return {
        title: "Set up an authenticator app",
        intro: `<p>Your account needs a code from an authenticator app at every sign-in.</p>
  <ol class="steps">
    <li>In your authenticator app, add an account.</li>
    <li>Scan the QR code, or type in the key.</li>
    <li>Enter the 6-digit code the app shows.</li>
  </ol>
  ${mfaSetup(s.qrSvg, s.secret, s.otpauthUri)}`,
        form: form([codeField("Code from the app")], "Verify and sign in"),
        actions: back,
      };
    case "totp":
      return {
        title: "Enter your authenticator code",
        intro: `<p>Open your authenticator app and enter the 6-digit code it shows for this account.</p>`,
        form: form([codeField("Code from the app")], "Sign in"),
        actions: back,
      };
    case "email-otp":
      return {
        title: "Check your email",
        intro: `<p>We sent a sign-in code to <strong>${escapeHtml(s.destination)}</strong>.</p>`,
        form: form([codeField("Code from the email")], "Sign in"),
        actions: back,
      };
    case "select-mfa":
      return {
        title: "How do you want to verify it’s you?",
        intro: "",
        form: stepForm(frame, s.step, factorChoice(s.factors, frame), "Continue"),
        actions: back,
      };
    case "forgot":
      return {
        title: "Forgot your password?",
        intro: `<p>Enter your username. If your account has a verified email address, we will send a code to it.</p>`,
        form: form([usernameField(s.username)], "Send code"),
        actions: back,
      };
    case "reset":
      return {
        title: "Enter the code and a new password",
        intro: sentTo(s.destination, "It can take a minute to arrive."),
        form: form([codeField("Code from the email"), ...newPasswordFields()], "Change password"),
        actions: ["resend", "cancel"],
      };
    case "sign-up":
      return {
        title: "Create an account",
        intro: "",
        form: form(
          [
            usernameField(s.username),
            { name: "password", label: "Password", type: "password", autocomplete: "new-password" },
            // Always asked: the confirmation code goes to it, and without one the account
            // could never be confirmed.
            {
              name: "email",
              label: "Email address",
              type: "email",
              autocomplete: "email",
              verbatim: true,
              ...(s.email !== undefined ? { value: s.email } : {}),
            },
            ...attributeFields(s.requiredAttributes, ["email"]),
          ],
          "Create account",
        ),
        actions: back,
      };
    case "confirm-sign-up":
      return {
        title: "Confirm your account",
        intro: sentTo(s.destination, "Enter it to finish creating your account."),
        form: form([codeField("Code from the email")], "Confirm account"),
        actions: ["resend", "cancel"],
      };
    default: {
      const unknown: never = s;
      throw new Error(`unknown hosted step ${JSON.stringify(unknown)}`);
    }
  }
}

/** The QR code (the server's own SVG), the key in groups of four, and a link for this device. */
function mfaSetup(qrSvg: string, secret: string, otpauthUri: string): string {
  const grouped = secret.replace(/(.{4})(?=.)/g, "$1 ");
  // Escaping keeps the URI inside its attribute; the scheme check keeps a javascript: URL out.
  const link = /^otpauth:\/\//i.test(otpauthUri)
    ? `
      <p class="hint"><a href="${escapeHtml(otpauthUri)}">Open in an authenticator app on this device</a></p>`
    : "";
  return `<div class="setup">
    <div class="qr" role="img" aria-label="${escapeHtml(MESSAGES["QR_LABEL"] ?? "QR code")}">${qrSvg}</div>
    <div class="key">
      <p>Key for manual entry:</p>
      <code class="secret">${escapeHtml(grouped)}</code>${link}
    </div>
  </div>`;
}

/** SELECT_MFA_TYPE: one radio per factor; `required` makes the browser ask for a choice. */
function factorChoice(factors: string[], frame: PageFrame): string {
  const options = [...new Set(factors)].map((factor, i) => {
    const id = `factor-${i}`;
    const focus = i === 0 ? ` ${autofocus(frame)}` : "";
    return `<div class="choice">
        <input id="${id}" name="factor" type="radio" value="${escapeHtml(factor)}" required${focus}>
        <label for="${id}">${escapeHtml(own(FACTOR_LABELS, factor) ?? factor)}</label>
      </div>`;
  });
  return `<fieldset>
      <legend>Get a sign-in code with</legend>
      ${options.join("\n      ")}
    </fieldset>`;
}

function htmlDocument(nonce: string, title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${escapeHtml(title)} · poolgate</title>
<style nonce="${escapeHtml(nonce)}">${STYLE}${LOCAL_STYLE}</style>
</head>
<body>
<main>
  ${body}
</main>
</body>
</html>
`;
}

/** One step of the hosted sign-in as a complete HTML document. */
export function hostedStepPage(frame: PageFrame, step: HostedStep): string {
  const view = stepView(frame, step);
  const blocks = [
    `<h1>${escapeHtml(view.title)}</h1>`,
    hasText(frame.error)
      ? `<div id="error" class="alert" role="alert">${escapeHtml(frame.error)}</div>`
      : "",
    hasText(frame.notice)
      ? `<div class="status" role="status">${escapeHtml(frame.notice)}</div>`
      : "",
    view.intro,
    view.form,
  ].filter((b) => b !== "");
  return htmlDocument(
    frame.nonce,
    view.title,
    blocks.join("\n  ") + actionForms(frame, view.actions),
  );
}

/** A page without a form: the authorization request cannot be served (bad client_id or redirect_uri), or the user has signed out. */
export function hostedMessagePage(input: {
  nonce: string;
  title: string;
  message: string;
}): string {
  return htmlDocument(
    input.nonce,
    input.title,
    `<h1>${escapeHtml(input.title)}</h1>
  <p>${escapeHtml(input.message)}</p>`,
  );
}
