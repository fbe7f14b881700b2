/**
 * delivery/ without a network: message templates, the masked destination, what a failure may
 * say, the choice of sender, and the configuration rules for mail (DESIGN §11).
 */
import { randomBytes } from "node:crypto";
import { ConfigError, loadConfig } from "../../src/config";
import { createSender } from "../../src/delivery/createSender";
import { LogSender } from "../../src/delivery/logSender";
import { maskEmail } from "../../src/delivery/mask";
import type { Message } from "../../src/delivery/message";
import { smtpFailureDetail, SmtpSender } from "../../src/delivery/smtp";
import { renderMessage } from "../../src/delivery/templates";
import { createLogger } from "../../src/log";

const MASTER_KEY = randomBytes(32).toString("base64");
const PRODUCTION = { POOLGATE_ENV: "production", POOLGATE_MASTER_KEY: MASTER_KEY };

function message(overrides: Partial<Message> = {}): Message {
  return {
    kind: "verification",
    to: "alice@example.com",
    username: "alice",
    code: "042917",
    ...overrides,
  };
}

/** The ConfigError loadConfig throws for this environment (fails the test if it starts). */
function refusal(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("the configuration was accepted");
}

describe("renderMessage", () => {
  const defaults = loadConfig({});

  it("happy flow: fills the default template of each kind", () => {
    expect(renderMessage(defaults, message())).toEqual({
      subject: "Your verification code",
      text: "Your verification code is 042917.",
    });
    expect(renderMessage(defaults, message({ kind: "invitation", code: "Tmp-pass1!" }))).toEqual({
      subject: "Your temporary password",
      text: "Your username is alice and temporary password is Tmp-pass1!.",
    });
    expect(renderMessage(defaults, message({ kind: "mfa" }))).toEqual({
      subject: "Your sign-in code",
      text: "Your authentication code is 042917.",
    });
  });

  it("fills every occurrence of each placeholder, in the subject too", () => {
    const config = loadConfig({
      POOLGATE_EMAIL_VERIFICATION_SUBJECT: "Code for {username}",
      POOLGATE_EMAIL_VERIFICATION_MESSAGE: "{username}: {####}. Again: {####}, {username}.",
    });
    expect(renderMessage(config, message())).toEqual({
      subject: "Code for alice",
      text: "alice: 042917. Again: 042917, alice.",
    });
  });

  it.each(["$&", "$1", "$$", "$'", "$`", "$<name>"])(
    "keeps %s in a code or username literal (no replacement patterns)",
    (pattern) => {
      const config = loadConfig({ POOLGATE_EMAIL_VERIFICATION_MESSAGE: "[{username}] [{####}]" });
      const rendered = renderMessage(
        config,
        message({ username: `u${pattern}x`, code: `c${pattern}y` }),
      );
      expect(rendered.text).toBe(`[u${pattern}x] [c${pattern}y]`);
    },
  );

  it("does not fill placeholders that a value brings in (a username `{####}` is not the code)", () => {
    const config = loadConfig({ POOLGATE_EMAIL_VERIFICATION_MESSAGE: "{username} {####}" });
    expect(renderMessage(config, message({ username: "{####}", code: "{username}" })).text).toBe(
      "{####} {username}",
    );
  });
});

describe("maskEmail (CodeDeliveryDetails.Destination)", () => {
  it.each([
    ["alice@example.com", "a***@e***.com"],
    ["bob.smith@mail.example.co.uk", "b***@m***.uk"],
    ["a@b.io", "a***@b***.io"],
    ["alice@localhost", "a***@l***"],
    ["alice@", "a***@***"],
    ["@example.com", "***@e***.com"],
    ["no-at-sign", "n***"],
    ["", "***"],
    ["a@b@example.com", "a***@e***.com"],
    ["alice@example.com.", "a***@e***.com"],
    ["😀ex@😀domain.org", "😀***@😀***.org"],
  ])("masks %j as %j", (address, masked) => {
    expect(maskEmail(address)).toBe(masked);
  });

  it("never shows more than one character of the local part or of the domain's first label", () => {
    const masked = maskEmail("alice.liddell@wonderland.example");
    expect(masked).not.toContain("lice");
    expect(masked).not.toContain("onderland");
  });
});

describe("smtpFailureDetail", () => {
  it("names nodemailer's code, the reply code, the enhanced status and the command, nothing else", () => {
    const err = Object.assign(
      new Error(
        "Can't send mail - all recipients were rejected: 550 5.1.1 <alice@example.com>: no",
      ),
      {
        code: "EENVELOPE",
        responseCode: 550,
        response: "550 5.1.1 <alice@example.com>: Recipient address rejected (code 042917)",
        command: "RCPT TO",
      },
    );
    const detail = smtpFailureDetail(err);
    expect(detail).toBe("EENVELOPE 550 5.1.1 (RCPT TO)");
    expect(detail).not.toContain("alice");
    expect(detail).not.toContain("042917");
  });

  it("drops a field that is not what nodemailer puts there", () => {
    expect(
      smtpFailureDetail({
        code: "alice@example.com",
        responseCode: "550 alice",
        command: "RCPT TO:<alice@example.com>",
        response: "alice@example.com",
      }),
    ).toBe("unknown failure");
    expect(smtpFailureDetail("alice@example.com")).toBe("unknown failure");
    expect(smtpFailureDetail({ code: "ETIMEDOUT", timeoutType: "GREETING_TIMEOUT" })).toBe(
      "ETIMEDOUT GREETING_TIMEOUT",
    );
  });
});

describe("createSender", () => {
  const logger = createLogger({ logLevel: "silent" });

  it("uses SMTP when POOLGATE_SMTP_URL is set, the log otherwise", async () => {
    const smtp = createSender(loadConfig({ POOLGATE_SMTP_URL: "smtp://127.0.0.1:1" }), logger);
    const log = createSender(loadConfig({}), logger);
    expect(smtp).toBeInstanceOf(SmtpSender);
    expect(log).toBeInstanceOf(LogSender);
    await Promise.all([smtp.close(), log.close()]);
  });
});

describe("mail settings in the configuration", () => {
  it.each([
    ["POOLGATE_EMAIL_VERIFICATION_MESSAGE", "Welcome, {username}"],
    ["POOLGATE_EMAIL_MFA_MESSAGE", "Your code is on its way"],
    ["POOLGATE_EMAIL_INVITATION_MESSAGE", "Hello {username}"],
    ["POOLGATE_EMAIL_INVITATION_MESSAGE", "Your password is {####}"],
  ])("refuses %s without its placeholders (%j)", (variable, template) => {
    const err = refusal({ [variable]: template });
    expect(err.setting).toBe(variable);
    expect(err.code).toBe("BAD_USER_INPUT");
  });

  it("falls back to the default template for an empty one", () => {
    expect(loadConfig({ POOLGATE_EMAIL_VERIFICATION_MESSAGE: "  " }).emailVerificationMessage).toBe(
      "Your verification code is {####}.",
    );
  });

  it.each(["http://mail.example.com", "mail.example.com:587", "smtp://", "not a url"])(
    "refuses the SMTP URL %j",
    (url) => {
      expect(refusal({ POOLGATE_SMTP_URL: url }).setting).toBe("POOLGATE_SMTP_URL");
    },
  );

  it("accepts smtp:// and smtps:// URLs, with credentials", () => {
    for (const url of ["smtp://user:p%40ss@mail.example.com:587", "smtps://mail.example.com:465"])
      expect(loadConfig({ POOLGATE_SMTP_URL: url }).smtpUrl).toBe(url);
  });

  it("refuses production with account recovery (the default) and no SMTP, naming POOLGATE_SMTP_URL and the feature", () => {
    const err = refusal(PRODUCTION);
    expect(err.setting).toBe("POOLGATE_SMTP_URL");
    expect(err.message).toContain("POOLGATE_SMTP_URL");
    expect(err.message).toContain("POOLGATE_ACCOUNT_RECOVERY");
  });

  it("happy flow: production with POOLGATE_ACCOUNT_RECOVERY=admin_only and nothing else that sends mail starts without SMTP", () => {
    const config = loadConfig({ ...PRODUCTION, POOLGATE_ACCOUNT_RECOVERY: "admin_only" });
    expect(config.environment).toBe("production");
    expect(config.smtpUrl).toBeUndefined();
  });

  it.each([
    ["self sign-up", { POOLGATE_SELF_SIGN_UP: "true" }, "POOLGATE_SELF_SIGN_UP"],
    [
      "email MFA",
      { POOLGATE_MFA: "OPTIONAL", POOLGATE_MFA_FACTORS: "SOFTWARE_TOKEN_MFA,EMAIL_OTP" },
      "EMAIL_OTP",
    ],
  ])("refuses production with %s and no SMTP", (_feature, env, named) => {
    const err = refusal({ ...PRODUCTION, POOLGATE_ACCOUNT_RECOVERY: "admin_only", ...env });
    expect(err.setting).toBe("POOLGATE_SMTP_URL");
    expect(err.message).toContain(named);
  });

  it("does not count email MFA as sending mail while MFA is OFF", () => {
    expect(
      loadConfig({
        ...PRODUCTION,
        POOLGATE_ACCOUNT_RECOVERY: "admin_only",
        POOLGATE_MFA_FACTORS: "EMAIL_OTP",
      }).mfa,
    ).toBe("OFF");
  });

  it("starts production with every mail feature once SMTP is set", () => {
    const config = loadConfig({
      ...PRODUCTION,
      POOLGATE_SELF_SIGN_UP: "true",
      POOLGATE_MFA: "ON",
      POOLGATE_MFA_FACTORS: "EMAIL_OTP",
      POOLGATE_SMTP_URL: "smtp://mail.example.com:587",
    });
    expect(config.accountRecovery).toBe("verified_email");
  });

  it("development without SMTP starts with every mail feature (messages go to the log)", () => {
    expect(loadConfig({ POOLGATE_SELF_SIGN_UP: "true" }).smtpUrl).toBeUndefined();
  });

  it("bounds POOLGATE_SMTP_TIMEOUT_MS", () => {
    expect(loadConfig({}).smtpTimeoutMs).toBe(10_000);
    expect(refusal({ POOLGATE_SMTP_TIMEOUT_MS: "50" }).setting).toBe("POOLGATE_SMTP_TIMEOUT_MS");
  });
});
