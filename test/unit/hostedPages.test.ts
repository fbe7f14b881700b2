/**
 * The hosted sign-in's HTML (src/oidc/pages.ts), read the way a browser and the HTTP driver
 * read it: a small tokenizer turns each page into elements with decoded attribute values and
 * text, so the assertions are about fields, labels and forms, never about spacing.
 */
import { qrCodeSvg } from "../../src/graphql/qrCode";
import { ATTRIBUTE_LABELS, FACTOR_LABELS } from "../../src/http/login/messages";
import { STYLE } from "../../src/http/login/style";
import {
  hostedMessagePage,
  hostedStepPage,
  type HostedStep,
  type PageFrame,
} from "../../src/oidc/pages";

// ---------------------------------------------------------------------------------------------
// Harness: a tokenizer for the HTML these pages are made of.

interface Element {
  tag: string;
  attrs: Map<string, string>;
  /** Tag names of the open elements around this one, outermost first. */
  ancestors: string[];
  /** Index of the <form> it is in, if any. */
  form: number | undefined;
  /** Decoded text inside it (for raw-text elements, the raw text). */
  text: string;
}

interface Parsed {
  elements: Element[];
  /** Decoded text of the whole document outside tags and raw-text elements. */
  text: string;
}

const VOID = new Set(["meta", "input", "br", "img", "link", "hr", "source", "area", "col", "wbr"]);
const RAW_TEXT = new Set(["style", "script", "textarea", "title"]);
const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function decode(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, ref: string) => {
    if (ref.startsWith("#x") || ref.startsWith("#X"))
      return String.fromCodePoint(parseInt(ref.slice(2), 16));
    if (ref.startsWith("#")) return String.fromCodePoint(parseInt(ref.slice(1), 10));
    return ENTITIES[ref.toLowerCase()] ?? whole;
  });
}

function parse(html: string): Parsed {
  const elements: Element[] = [];
  const stack: Element[] = [];
  let text = "";
  let forms = 0;
  let currentForm: number | undefined;
  const addText = (t: string) => {
    text += t;
    for (const open of stack) open.text += t;
  };
  let i = 0;
  while (i < html.length) {
    const lt = html.indexOf("<", i);
    if (lt === -1) {
      addText(decode(html.slice(i)));
      break;
    }
    addText(decode(html.slice(i, lt)));
    if (html.startsWith("<!--", lt)) {
      i = html.indexOf("-->", lt) + 3;
      continue;
    }
    if (html.startsWith("<!", lt)) {
      i = html.indexOf(">", lt) + 1;
      continue;
    }
    const close = /^<\/([a-zA-Z][\w:-]*)\s*>/.exec(html.slice(lt));
    if (close) {
      const tag = close[1]!.toLowerCase();
      const at = stack.map((e) => e.tag).lastIndexOf(tag);
      if (at !== -1) stack.length = at;
      if (tag === "form") currentForm = undefined;
      i = lt + close[0].length;
      continue;
    }
    const open = /^<([a-zA-Z][\w:-]*)/.exec(html.slice(lt));
    if (!open) {
      addText("<");
      i = lt + 1;
      continue;
    }
    const tag = open[1]!.toLowerCase();
    const attrs = new Map<string, string>();
    const ATTR = /\s*([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?|\s*(\/?>)/y;
    ATTR.lastIndex = lt + open[0].length;
    let selfClosing = false;
    for (;;) {
      const m = ATTR.exec(html);
      if (!m) throw new Error(`malformed tag at ${lt}: ${html.slice(lt, lt + 80)}`);
      if (m[5] !== undefined) {
        selfClosing = m[5] === "/>";
        break;
      }
      const name = m[1]!.toLowerCase();
      if (attrs.has(name)) throw new Error(`duplicate attribute ${name} on <${tag}>`);
      attrs.set(name, decode(m[2] ?? m[3] ?? m[4] ?? ""));
    }
    i = ATTR.lastIndex;
    if (tag === "form") currentForm = forms++;
    const element: Element = {
      tag,
      attrs,
      ancestors: stack.map((e) => e.tag),
      form: currentForm,
      text: "",
    };
    elements.push(element);
    if (RAW_TEXT.has(tag)) {
      const end = html.toLowerCase().indexOf(`</${tag}`, i);
      const raw = html.slice(i, end === -1 ? html.length : end);
      element.text = tag === "title" || tag === "textarea" ? decode(raw) : raw;
      i = end === -1 ? html.length : html.indexOf(">", end) + 1;
      if (tag === "title") text += element.text;
      continue;
    }
    if (!VOID.has(tag) && !selfClosing) stack.push(element);
  }
  return { elements, text };
}

const all = (page: Parsed, tag: string) => page.elements.filter((e) => e.tag === tag);
const attr = (e: Element, name: string) => e.attrs.get(name);

/** The fields a user sees: every input but the hidden ones. */
function fields(page: Parsed): Element[] {
  return all(page, "input").filter((e) => attr(e, "type") !== "hidden");
}

function field(page: Parsed, name: string): Element {
  const found = fields(page).find((e) => attr(e, "name") === name);
  if (!found) throw new Error(`no field named ${name}`);
  return found;
}

/** The hidden csrf/flow/step of one form, decoded. */
function hiddenOf(page: Parsed, form: number): Record<string, string> {
  return Object.fromEntries(
    all(page, "input")
      .filter((e) => e.form === form && attr(e, "type") === "hidden")
      .map((e) => [attr(e, "name")!, attr(e, "value")!]),
  );
}

/** Each form as { step, names of its visible fields }, in document order. */
function formsOf(page: Parsed, frame: PageFrame): { step: string; names: string[] }[] {
  return all(page, "form").map((_, index) => {
    const hidden = hiddenOf(page, index);
    expect(hidden).toEqual({ csrf: frame.csrf, flow: frame.flow, step: expect.any(String) });
    return {
      step: hidden["step"]!,
      names: fields(page)
        .filter((e) => e.form === index)
        .map((e) => attr(e, "name")!),
    };
  });
}

/** What every page must be, whatever its step or values. */
function expectSoundDocument(html: string, nonce: string): Parsed {
  expect(html.startsWith("<!doctype html>\n")).toBe(true);
  expect(html).not.toMatch(/<script/i);
  expect(html).not.toMatch(/\sstyle\s*=/i);
  const page = parse(html);
  const [root] = all(page, "html");
  expect(root && attr(root, "lang")).toBe("en");
  const referrer = all(page, "meta").find((m) => attr(m, "name") === "referrer");
  // Not no-referrer: the browser would send `Origin: null` on the page's own form posts.
  expect(referrer && attr(referrer, "content")).toBe("same-origin");
  expect(all(page, "meta").some((m) => attr(m, "charset") === "utf-8")).toBe(true);
  expect(all(page, "h1")).toHaveLength(1);
  const styles = all(page, "style");
  expect(styles).toHaveLength(1);
  expect(attr(styles[0]!, "nonce")).toBe(nonce);
  expect(styles[0]!.text).toContain(STYLE);
  for (const e of page.elements) {
    expect(e.tag).not.toMatch(/^(script|iframe|object|embed|img|link|base|frame)$/);
    for (const name of e.attrs.keys()) {
      expect(name).not.toMatch(/^on/);
      expect(name).not.toBe("style");
      expect(name).not.toBe("src");
    }
  }
  for (const form of all(page, "form")) {
    expect(attr(form, "method")).toBe("post");
    expect(attr(form, "action")).toBe("/login");
  }
  // Every field has exactly one label pointing at it, and ids are unique.
  const ids = page.elements.map((e) => attr(e, "id")).filter((id) => id !== undefined);
  expect(new Set(ids).size).toBe(ids.length);
  for (const input of fields(page)) {
    const id = attr(input, "id");
    expect(id).toBeDefined();
    const labels = all(page, "label").filter((l) => attr(l, "for") === id);
    expect(labels).toHaveLength(1);
    expect(labels[0]!.text.trim()).not.toBe("");
  }
  // At most one autofocus, and only on a field.
  const focused = page.elements.filter((e) => e.attrs.has("autofocus"));
  expect(focused.length).toBeLessThanOrEqual(1);
  for (const e of focused) expect(fields(page)).toContain(e);
  return page;
}

function render(step: HostedStep, frame: PageFrame = FRAME): Parsed {
  return expectSoundDocument(hostedStepPage(frame, step), frame.nonce);
}

const FRAME: PageFrame = { nonce: "bm9uY2U+", csrf: "csrf-token+/=", flow: "flow-id_123" };

const ATTACK = `"><script>alert(1)</script><img src=x onerror=alert(2)>'&amp;`;

// ---------------------------------------------------------------------------------------------

const QR =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 2 2"><path d="M0 0h1v1H0z"/></svg>';

/** Each step, its main form's fields, and its secondary actions. */
const STEPS: { step: HostedStep; names: string[]; actions: string[] }[] = [
  {
    step: { step: "sign-in", forgotPassword: false, signUp: false },
    names: ["username", "password"],
    actions: [],
  },
  {
    step: { step: "new-password", requiredAttributes: ["name", "email"] },
    names: ["new_password", "new_password_confirm", "attr:name", "attr:email"],
    actions: ["cancel"],
  },
  {
    step: { step: "mfa-setup", qrSvg: QR, secret: "JBSWY3DPEHPK3PXP", otpauthUri: "otpauth://x" },
    names: ["code"],
    actions: ["cancel"],
  },
  { step: { step: "totp" }, names: ["code"], actions: ["cancel"] },
  {
    step: { step: "email-otp", destination: "a***@e***.com" },
    names: ["code"],
    actions: ["cancel"],
  },
  {
    step: { step: "select-mfa", factors: ["SOFTWARE_TOKEN_MFA", "EMAIL_OTP"] },
    names: ["factor", "factor"],
    actions: ["cancel"],
  },
  { step: { step: "forgot" }, names: ["username"], actions: ["cancel"] },
  {
    step: { step: "reset", destination: "a***@e***.com" },
    names: ["code", "new_password", "new_password_confirm"],
    actions: ["resend", "cancel"],
  },
  {
    step: { step: "sign-up", requiredAttributes: ["email", "given_name"] },
    names: ["username", "password", "email", "attr:given_name"],
    actions: ["cancel"],
  },
  {
    step: { step: "confirm-sign-up", destination: "a***@e***.com" },
    names: ["code"],
    actions: ["resend", "cancel"],
  },
];

describe("hostedStepPage", () => {
  it.each(STEPS)(
    "renders the $step.step step as one labelled form posting its fields, csrf, flow and step to /login",
    ({ step, names, actions }) => {
      const page = render(step);
      expect(formsOf(page, FRAME)).toEqual([
        { step: step.step, names },
        ...actions.map((action) => ({ step: action, names: [] })),
      ]);
      // Each form has one submit button, and only the main form has fields.
      for (const [index] of all(page, "form").entries())
        expect(all(page, "button").filter((b) => b.form === index)).toHaveLength(1);
      for (const input of fields(page)) expect(input.attrs.has("required")).toBe(true);
      // The first field takes the focus.
      expect(fields(page)[0]!.attrs.has("autofocus")).toBe(true);
      expect(all(page, "title")[0]!.text).toContain(all(page, "h1")[0]!.text.trim());
    },
  );

  it("offers “Forgot your password?” and “Create an account” on sign-in only when they are enabled", () => {
    const steps = (forgotPassword: boolean, signUp: boolean) =>
      formsOf(render({ step: "sign-in", forgotPassword, signUp }), FRAME).map((f) => f.step);
    expect(steps(false, false)).toEqual(["sign-in"]);
    expect(steps(true, false)).toEqual(["sign-in", "forgot-start"]);
    expect(steps(false, true)).toEqual(["sign-in", "sign-up-start"]);
    expect(steps(true, true)).toEqual(["sign-in", "forgot-start", "sign-up-start"]);
    const page = render({ step: "sign-in", forgotPassword: true, signUp: true });
    expect(all(page, "button").map((b) => b.text.trim())).toEqual([
      "Sign in",
      "Forgot your password?",
      "Create an account",
    ]);
  });

  it("names the secondary buttons “Back to sign in” and “Send a new code”", () => {
    const page = render({ step: "reset", destination: "a***@e***.com" });
    expect(all(page, "button").map((b) => b.text.trim())).toEqual([
      "Change password",
      "Send a new code",
      "Back to sign in",
    ]);
  });

  it("marks every code field as a numeric six-digit one-time code", () => {
    const steps = STEPS.filter((s) => s.names.includes("code"));
    expect(steps.map((s) => s.step.step)).toEqual([
      "mfa-setup",
      "totp",
      "email-otp",
      "reset",
      "confirm-sign-up",
    ]);
    for (const { step } of steps) {
      const code = field(render(step), "code");
      expect(Object.fromEntries(code.attrs)).toMatchObject({
        type: "text",
        inputmode: "numeric",
        pattern: "[0-9]{6}",
        autocomplete: "one-time-code",
      });
    }
  });

  it("gives password managers the autocomplete values they need", () => {
    const auto = (step: HostedStep) =>
      Object.fromEntries(
        fields(render(step)).map((f) => [attr(f, "name"), attr(f, "autocomplete")]),
      );
    expect(auto({ step: "sign-in", forgotPassword: true, signUp: true })).toEqual({
      username: "username",
      password: "current-password",
    });
    expect(auto({ step: "new-password", requiredAttributes: [] })).toEqual({
      new_password: "new-password",
      new_password_confirm: "new-password",
    });
    expect(auto({ step: "reset", destination: "x" })).toEqual({
      code: "one-time-code",
      new_password: "new-password",
      new_password_confirm: "new-password",
    });
    expect(auto({ step: "sign-up", requiredAttributes: [] })).toEqual({
      username: "username",
      password: "new-password",
      email: "email",
    });
    expect(auto({ step: "forgot" })).toEqual({ username: "username" });
    const types = (step: HostedStep) =>
      Object.fromEntries(fields(render(step)).map((f) => [attr(f, "name"), attr(f, "type")]));
    expect(types({ step: "sign-up", requiredAttributes: [] })).toEqual({
      username: "text",
      password: "password",
      email: "email",
    });
  });

  it("asks for each required attribute once, labelled from ATTRIBUTE_LABELS or by its name, typed by what it holds", () => {
    const page = render({
      step: "new-password",
      requiredAttributes: ["email", "phone_number", "name", "custom:team", "constructor", "name"],
    });
    const attributes = fields(page).filter((f) => attr(f, "name")!.startsWith("attr:"));
    const labelOf = (input: Element) =>
      all(page, "label")
        .find((l) => attr(l, "for") === attr(input, "id"))!
        .text.trim();
    expect(
      attributes.map((f) => [
        attr(f, "name"),
        attr(f, "type"),
        labelOf(f),
        attr(f, "autocomplete"),
      ]),
    ).toEqual([
      ["attr:email", "email", ATTRIBUTE_LABELS["email"], "email"],
      ["attr:phone_number", "tel", ATTRIBUTE_LABELS["phone_number"], "tel"],
      ["attr:name", "text", ATTRIBUTE_LABELS["name"], "name"],
      // Neither a custom attribute nor an Object.prototype member has a label of its own.
      ["attr:custom:team", "text", "custom:team", undefined],
      ["attr:constructor", "text", "constructor", undefined],
    ]);
  });

  it("does not ask twice for the email on sign-up, and pre-fills what the user already typed", () => {
    const page = render({
      step: "sign-up",
      username: "alice",
      email: "alice@example.com",
      requiredAttributes: ["email", "name"],
    });
    expect(fields(page).map((f) => attr(f, "name"))).toEqual([
      "username",
      "password",
      "email",
      "attr:name",
    ]);
    expect(attr(field(page, "username"), "value")).toBe("alice");
    expect(attr(field(page, "email"), "value")).toBe("alice@example.com");
    expect(field(page, "password").attrs.has("value")).toBe(false);
  });

  it("focuses the first field not yet filled in: the password once the username is known", () => {
    const known = render({
      step: "sign-in",
      username: "alice",
      forgotPassword: false,
      signUp: false,
    });
    expect(field(known, "password").attrs.has("autofocus")).toBe(true);
    expect(field(known, "username").attrs.has("autofocus")).toBe(false);
    const only = render({ step: "forgot", username: "alice" });
    expect(field(only, "username").attrs.has("autofocus")).toBe(true);
  });

  it("groups the factors in a fieldset with a legend, one labelled radio per factor", () => {
    const page = render({
      step: "select-mfa",
      factors: ["SOFTWARE_TOKEN_MFA", "EMAIL_OTP", "SMS_MFA"],
    });
    const radios = fields(page);
    expect(radios.map((r) => [attr(r, "type"), attr(r, "name"), attr(r, "value")])).toEqual([
      ["radio", "factor", "SOFTWARE_TOKEN_MFA"],
      ["radio", "factor", "EMAIL_OTP"],
      ["radio", "factor", "SMS_MFA"],
    ]);
    for (const r of radios) expect(r.ancestors).toContain("fieldset");
    const [fieldset] = all(page, "fieldset");
    expect(all(page, "legend")[0]!.ancestors).toContain("fieldset");
    expect(fieldset!.text).toContain(FACTOR_LABELS["SOFTWARE_TOKEN_MFA"]);
    expect(
      all(page, "label")
        .filter((l) => l.ancestors.includes("fieldset"))
        .map((l) => l.text.trim()),
    ).toEqual([FACTOR_LABELS["SOFTWARE_TOKEN_MFA"], FACTOR_LABELS["EMAIL_OTP"], "SMS_MFA"]);
  });

  it("shows the authenticator set-up: the server's QR code, the key in groups of four, and a link to the otpauth URI", async () => {
    const uri = "otpauth://totp/poolgate:alice?secret=JBSWY3DPEHPK3PXP&issuer=poolgate";
    const qrSvg = await qrCodeSvg(uri);
    const html = hostedStepPage(FRAME, {
      step: "mfa-setup",
      qrSvg,
      secret: "JBSWY3DPEHPK3PXP",
      otpauthUri: uri,
    });
    const page = expectSoundDocument(html, FRAME.nonce);
    expect(html).toContain(qrSvg);
    const svg = all(page, "svg")[0]!;
    const box = page.elements[page.elements.indexOf(svg) - 1]!;
    expect([attr(box, "role"), attr(box, "aria-label")]).toEqual([
      "img",
      "QR code for your authenticator app",
    ]);
    expect(all(page, "code")[0]!.text).toBe("JBSW Y3DP EHPK 3PXP");
    expect(all(page, "a").map((a) => attr(a, "href"))).toEqual([uri]);
  });

  it("links no otpauth URI with another scheme (a javascript: URL is not a link)", () => {
    const page = render({
      step: "mfa-setup",
      qrSvg: QR,
      secret: "JBSWY3DPEHPK3PXP",
      otpauthUri: "javascript:alert(1)//otpauth://",
    });
    expect(all(page, "a")).toEqual([]);
    expect(page.text).toContain("JBSW Y3DP EHPK 3PXP");
  });

  it("shows the error in role=alert, described on the focused field, and the notice in role=status", () => {
    const frame = {
      ...FRAME,
      error: "Incorrect username or password.",
      notice: "We sent a new code.",
    };
    const page = render(
      { step: "sign-in", username: "alice", forgotPassword: false, signUp: false },
      frame,
    );
    const [alert] = page.elements.filter((e) => attr(e, "role") === "alert");
    const [status] = page.elements.filter((e) => attr(e, "role") === "status");
    expect([alert!.tag, alert!.text]).toEqual(["div", frame.error]);
    expect([status!.tag, status!.text]).toEqual(["div", frame.notice]);
    const focused = page.elements.find((e) => e.attrs.has("autofocus"))!;
    expect(attr(focused, "aria-describedby")).toBe(attr(alert!, "id"));
    // Before the form, so it is read first.
    expect(page.elements.indexOf(alert!)).toBeLessThan(
      page.elements.indexOf(all(page, "form")[0]!),
    );

    const quiet = render({ step: "totp" });
    expect(quiet.elements.filter((e) => e.attrs.has("role") && e.tag === "div")).toEqual([]);
    expect(field(quiet, "code").attrs.has("aria-describedby")).toBe(false);
  });

  it("stops markup injection through the username, destination, error text and every other string field", async () => {
    const frame: PageFrame = {
      nonce: ATTACK,
      csrf: ATTACK,
      flow: ATTACK,
      error: ATTACK,
      notice: ATTACK,
    };
    const attacks: HostedStep[] = [
      { step: "sign-in", username: ATTACK, forgotPassword: true, signUp: true },
      { step: "new-password", requiredAttributes: [ATTACK] },
      { step: "mfa-setup", qrSvg: QR, secret: ATTACK, otpauthUri: `otpauth://${ATTACK}` },
      { step: "email-otp", destination: ATTACK },
      { step: "select-mfa", factors: [ATTACK] },
      { step: "forgot", username: ATTACK },
      { step: "reset", destination: ATTACK },
      { step: "sign-up", username: ATTACK, email: ATTACK, requiredAttributes: [ATTACK] },
      { step: "confirm-sign-up", destination: ATTACK },
    ];
    const benign = (s: string) => (s === ATTACK ? "x" : s.replace(ATTACK, "x"));
    for (const step of attacks) {
      const html = hostedStepPage(frame, step);
      const page = expectSoundDocument(html, ATTACK);
      // The same elements and attributes as with harmless values: nothing was added.
      const shape = (p: Parsed) => p.elements.map((e) => `${e.tag}[${[...e.attrs.keys()]}]`);
      const harmless = Object.fromEntries(
        Object.entries(step).map(([k, v]) => [
          k,
          typeof v === "string" ? benign(v) : Array.isArray(v) ? v.map(benign) : v,
        ]),
      ) as HostedStep;
      expect(shape(page)).toEqual(
        shape(
          parse(
            hostedStepPage({ nonce: "x", csrf: "x", flow: "x", error: "x", notice: "x" }, harmless),
          ),
        ),
      );
      // Every value comes back exactly as given, as text or as an attribute value.
      for (const form of all(page, "form").keys())
        expect(hiddenOf(page, form)).toMatchObject({ csrf: ATTACK, flow: ATTACK });
      expect(page.text).toContain(ATTACK);
    }
    const signIn = parse(hostedStepPage(frame, attacks[0]!));
    expect(attr(field(signIn, "username"), "value")).toBe(ATTACK);
    const select = parse(hostedStepPage(frame, attacks[4]!));
    expect(attr(field(select, "factor"), "value")).toBe(ATTACK);
    const setup = parse(hostedStepPage(frame, attacks[2]!));
    expect(attr(all(setup, "a")[0]!, "href")).toBe(`otpauth://${ATTACK}`);
    const signUp = parse(hostedStepPage(frame, attacks[7]!));
    expect(fields(signUp).map((f) => attr(f, "name"))).toContain(`attr:${ATTACK}`);
  });
});

describe("hostedMessagePage", () => {
  it("renders a title and a message, with no form and no field", () => {
    const html = hostedMessagePage({
      nonce: "n0nce",
      title: "Sign-in is not available",
      message: "The redirect_uri is not registered for this app client.",
    });
    const page = expectSoundDocument(html, "n0nce");
    expect(all(page, "h1")[0]!.text).toBe("Sign-in is not available");
    expect(all(page, "title")[0]!.text).toBe("Sign-in is not available · poolgate");
    expect(page.text).toContain("The redirect_uri is not registered for this app client.");
    expect(all(page, "form")).toEqual([]);
    expect(all(page, "input")).toEqual([]);
  });

  it("stops markup injection through the title, the message and the nonce", () => {
    const html = hostedMessagePage({ nonce: ATTACK, title: ATTACK, message: ATTACK });
    const page = expectSoundDocument(html, ATTACK);
    expect(page.elements.map((e) => e.tag)).toEqual([
      "html",
      "head",
      "meta",
      "meta",
      "meta",
      "title",
      "style",
      "body",
      "main",
      "h1",
      "p",
    ]);
    expect(all(page, "h1")[0]!.text).toBe(ATTACK);
    expect(all(page, "p")[0]!.text).toBe(ATTACK);
  });
});
