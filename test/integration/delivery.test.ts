/**
 * Delivery over real SMTP (DESIGN §11): the SMTP sender against a real smtp-server on port 0
 * (accepting, refusing, silent, requiring AUTH or offering STARTTLS), the development log
 * sender, and sign-up through GraphQL with its code going out by mail. Nothing is mocked.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, type Config } from "../../src/config";
import { createSender } from "../../src/delivery/createSender";
import { LogSender } from "../../src/delivery/logSender";
import { DeliveryError, type Message } from "../../src/delivery/message";
import { SmtpSender } from "../../src/delivery/smtp";
import { createLogger } from "../../src/log";
import { createGateway } from "../../src/server";
import {
  codeOf,
  createClient,
  expectCode,
  PASSWORD,
  startGateway,
  type TestGateway,
} from "../harness";
import { startSmtpServer, type TestSmtpOptions, type TestSmtpServer } from "../support/smtp";

const SIGN_UP = `mutation SignUp($input: SignUpInput!) {
  signUp(input: $input) { userSub userConfirmed codeDeliveryDestination }
}`;
const CONFIRM_SIGN_UP = `mutation Confirm($input: ConfirmSignUpInput!) { confirmSignUp(input: $input) }`;

/** A logger at level trace whose lines land in `lines`, parsed. */
function capturedLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger(
    { logLevel: "trace" },
    { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  return { logger, lines, text: () => lines.map((l) => JSON.stringify(l)).join("\n") };
}

function configFor(env: Record<string, string>): Readonly<Config> {
  return loadConfig({ POOLGATE_EMAIL_FROM: "Pool Gate <no-reply@poolgate.test>", ...env });
}

function message(overrides: Partial<Message> = {}): Message {
  return {
    kind: "verification",
    to: "alice@example.com",
    username: "alice",
    code: String(randomBytes(3).readUIntBE(0, 3) % 1_000_000).padStart(6, "0"),
    ...overrides,
  };
}

/** What `send` rejected with (fails the test if it resolved or threw anything else). */
async function deliveryFailure(promise: Promise<void>): Promise<DeliveryError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof DeliveryError) return err;
    throw err;
  }
  throw new Error("the message was delivered");
}

describe("SmtpSender against a real SMTP server", () => {
  const servers: TestSmtpServer[] = [];
  const senders: SmtpSender[] = [];
  const silent = createLogger({ logLevel: "silent" });

  async function serverAndSender(
    options: TestSmtpOptions = {},
    env: Record<string, string> = {},
  ): Promise<{ smtp: TestSmtpServer; sender: SmtpSender }> {
    const smtp = await startSmtpServer(options);
    const sender = new SmtpSender(configFor({ POOLGATE_SMTP_URL: smtp.url, ...env }), silent);
    servers.push(smtp);
    senders.push(sender);
    return { smtp, sender };
  }

  afterAll(async () => {
    await Promise.all(senders.map((s) => s.close()));
    await Promise.all(servers.map((s) => s.close()));
  });

  it("happy flow: delivers the rendered subject and text from POOLGATE_EMAIL_FROM, recorded by the time send resolves", async () => {
    const { smtp, sender } = await serverAndSender();
    const sent = message();
    await sender.send(sent);
    expect(smtp.messages).toHaveLength(1);
    expect(smtp.messages[0]).toMatchObject({
      to: ["alice@example.com"],
      from: "no-reply@poolgate.test",
      fromHeader: '"Pool Gate" <no-reply@poolgate.test>',
      subject: "Your verification code",
      text: `Your verification code is ${sent.code}.`,
      secure: false,
      user: undefined,
    });
    expect(smtp.codeIn(smtp.lastTo("ALICE@example.com")!)).toBe(sent.code);
  });

  it("renders each kind with its own template", async () => {
    const { smtp, sender } = await serverAndSender();
    await sender.send(
      message({ kind: "invitation", to: "bob@example.com", username: "bob", code: "Tmp-Pa55!" }),
    );
    await sender.send(message({ kind: "mfa", to: "carol@example.com", code: "314159" }));
    expect(smtp.lastTo("bob@example.com")).toMatchObject({
      subject: "Your temporary password",
      text: "Your username is bob and temporary password is Tmp-Pa55!.",
    });
    expect(smtp.lastTo("carol@example.com")).toMatchObject({
      subject: "Your sign-in code",
      text: "Your authentication code is 314159.",
    });
  });

  it("upgrades with STARTTLS when the server offers it", async () => {
    const { smtp, sender } = await serverAndSender({ starttls: true });
    await sender.send(message());
    expect(smtp.messages[0]?.secure).toBe(true);
  });

  it("signs in with the user and password of the URL when the server requires AUTH", async () => {
    const { smtp, sender } = await serverAndSender({
      auth: { user: "mailer", pass: "s3cret:p@ss/word" },
    });
    await sender.send(message());
    expect(smtp.messages[0]?.user).toBe("mailer");
  });

  it("error flow: wrong SMTP credentials → DeliveryError naming the AUTH failure, not the password", async () => {
    const password = `right-${randomBytes(6).toString("hex")}`;
    const smtp = await startSmtpServer({ auth: { user: "mailer", pass: password } });
    servers.push(smtp);
    const wrong = smtp.url.replace(encodeURIComponent(password), "wrong-password");
    const sender = new SmtpSender(configFor({ POOLGATE_SMTP_URL: wrong }), silent);
    senders.push(sender);
    const err = await deliveryFailure(sender.send(message()));
    expect(err.detail).toContain("EAUTH");
    expect(err.detail).toContain("535");
    expect(err.detail).not.toContain("wrong-password");
    expect(err.detail).not.toContain(password);
    expect(smtp.messages).toEqual([]);
  });

  it("error flow: a refused recipient → DeliveryError whose detail has the reply and command, never the code or the address", async () => {
    const { smtp, sender } = await serverAndSender({ rejectRcpt: { code: 550 } });
    const sent = message({ to: "victim@example.org" });
    const err = await deliveryFailure(sender.send(sent));
    expect(err.detail).toContain("550");
    expect(err.detail).toContain("RCPT TO");
    expect(err.detail).toContain("v***@e***.org");
    expect(err.detail).not.toContain("victim@example.org");
    expect(err.detail).not.toContain(sent.code);
    expect(err.message).not.toContain(sent.code);
    expect(smtp.messages).toEqual([]);
  });

  it("error flow: a refused message (5xx after DATA) → DeliveryError without the code or text", async () => {
    const { smtp, sender } = await serverAndSender({ rejectData: { code: 554 } });
    const sent = message();
    const err = await deliveryFailure(sender.send(sent));
    expect(err.detail).toContain("554");
    expect(err.detail).toContain("DATA");
    expect(smtp.refused).toHaveLength(1);
    expect(err.detail).not.toContain(sent.code);
    expect(err.detail).not.toContain(smtp.refused[0]!.text);
  });

  it("error flow: a server that never greets → DeliveryError once POOLGATE_SMTP_TIMEOUT_MS has passed", async () => {
    const { sender } = await serverAndSender(
      { greetingDelayMs: Infinity },
      { POOLGATE_SMTP_TIMEOUT_MS: "300" },
    );
    const started = performance.now();
    const err = await deliveryFailure(sender.send(message()));
    const elapsed = performance.now() - started;
    expect(err.detail).toContain("ETIMEDOUT");
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(3000);
  });

  it("error flow: a server that never answers the message → DeliveryError once POOLGATE_SMTP_TIMEOUT_MS has passed", async () => {
    const { smtp, sender } = await serverAndSender(
      { dataDelayMs: 10_000 },
      { POOLGATE_SMTP_TIMEOUT_MS: "300" },
    );
    const started = performance.now();
    const err = await deliveryFailure(sender.send(message()));
    expect(err.detail).toContain("ETIMEDOUT");
    expect(performance.now() - started).toBeLessThan(3000);
    expect(smtp.messages).toEqual([]);
  });

  it("error flow: nothing listening → DeliveryError", async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, "127.0.0.1", () => {
        const { port: free } = probe.address() as AddressInfo;
        probe.close(() => resolve(free));
      });
    });
    const sender = new SmtpSender(
      configFor({ POOLGATE_SMTP_URL: `smtp://127.0.0.1:${port}` }),
      silent,
    );
    senders.push(sender);
    const err = await deliveryFailure(sender.send(message()));
    expect(err.detail).toMatch(/ECONNECTION|ESOCKET/);
  });

  it("attack: a recipient that is a list (or carries a display name) is refused before any connection", async () => {
    const { smtp, sender } = await serverAndSender();
    for (const to of [
      "alice@example.com, mallory@example.net",
      "alice@example.com;mallory@example.net",
      "Alice <mallory@example.net>",
      "alice@example.com\r\nBcc: mallory@example.net",
    ]) {
      const err = await deliveryFailure(sender.send(message({ to })));
      expect(err.detail).toContain("not a single email address");
    }
    expect(smtp.messages).toEqual([]);
  });

  it("verify() reports a reachable server and a missing one, without rejecting", async () => {
    const { sender } = await serverAndSender();
    expect(await sender.verify()).toBe(true);
    const captured = capturedLogger();
    const nowhere = new SmtpSender(
      configFor({ POOLGATE_SMTP_URL: "smtp://127.0.0.1:1", POOLGATE_SMTP_TIMEOUT_MS: "300" }),
      captured.logger,
    );
    senders.push(nowhere);
    expect(await nowhere.verify()).toBe(false);
    expect(captured.lines).toEqual([
      expect.objectContaining({ level: 40, smtpHost: "127.0.0.1:1" }),
    ]);
  });
});

describe("the log sender (no POOLGATE_SMTP_URL)", () => {
  it("development: logs kind, username, the masked destination and the message with its code, as a warning that SMTP is not configured", async () => {
    const captured = capturedLogger();
    const sender = new LogSender(configFor({ POOLGATE_ENV: "development" }), captured.logger);
    const sent = message();
    await sender.send(sent);
    expect(captured.lines).toEqual([
      expect.objectContaining({
        level: 40,
        kind: "verification",
        username: "alice",
        destination: "a***@e***.com",
        subject: "Your verification code",
        text: `Your verification code is ${sent.code}.`,
        msg: expect.stringContaining("SMTP is not configured"),
      }),
    ]);
    expect(captured.text()).not.toContain("alice@example.com");
  });

  it("production: throws DeliveryError and logs neither the code nor the message", async () => {
    const captured = capturedLogger();
    const config = configFor({
      POOLGATE_ENV: "production",
      POOLGATE_MASTER_KEY: randomBytes(32).toString("base64"),
      POOLGATE_ACCOUNT_RECOVERY: "admin_only",
    });
    const sender = createSender(config, captured.logger);
    expect(sender).toBeInstanceOf(LogSender);
    const sent = message({ kind: "invitation", code: "Tmp-Pa55!" });
    const err = await deliveryFailure(sender.send(sent));
    expect(err.detail).toContain("SMTP is not configured");
    expect(captured.lines).toEqual([
      expect.objectContaining({
        kind: "invitation",
        username: "alice",
        destination: "a***@e***.com",
      }),
    ]);
    expect(captured.text()).not.toContain(sent.code);
    expect(captured.lines[0]).not.toHaveProperty("text");
    expect(captured.lines[0]).not.toHaveProperty("subject");
  });
});

describe("sign-up through GraphQL, with the code going out by SMTP", () => {
  let gw: TestGateway;
  let client: { clientId: string; clientSecret: string | undefined };
  const signUp = (username: string, email?: string) =>
    gw.gql(SIGN_UP, {
      input: {
        clientId: client.clientId,
        username,
        password: PASSWORD,
        ...(email ? { attributes: [{ name: "email", value: email }] } : {}),
      },
    });
  const confirm = (username: string, code: string) =>
    gw.gql(CONFIRM_SIGN_UP, { input: { clientId: client.clientId, username, code } });

  beforeAll(async () => {
    gw = await startGateway({
      env: {
        POOLGATE_SELF_SIGN_UP: "true",
        // The default message (the harness's own names the user).
        POOLGATE_EMAIL_VERIFICATION_MESSAGE: "",
      },
      smtp: { rejectRcpt: { code: 550, when: (address) => address.endsWith("@refused.test") } },
    });
    client = await createClient(gw);
  });
  afterAll(() => gw.close());

  it("happy flow: the code arrives by mail in the default template and confirms the user", async () => {
    const username = `mail-${randomBytes(4).toString("hex")}`;
    const email = `${username}@example.com`;
    const res = await signUp(username, email);
    expect(res.body.data?.["signUp"]).toMatchObject({
      userConfirmed: false,
      codeDeliveryDestination: email,
    });
    const mail = gw.smtp!.lastTo(email)!;
    expect(mail).toMatchObject({
      subject: "Your verification code",
      text: expect.stringMatching(/^Your verification code is \d{6}\.$/),
      from: "no-reply@localhost",
    });
    const code = gw.smtp!.codeIn(mail);
    expect((await confirm(username, code)).body.data?.["confirmSignUp"]).toBe(true);
  });

  it("sends nothing to a user without an email, and names no destination", async () => {
    const before = gw.smtp!.messages.length;
    const res = await signUp(`nomail-${randomBytes(4).toString("hex")}`);
    expect(codeOf(res)).toBeUndefined();
    expect(res.body.data?.["signUp"]?.["codeDeliveryDestination"]).toBeNull();
    expect(gw.smtp!.messages.length).toBe(before);
  });

  it("error flow: a refused mail answers CODE_DELIVERY_FAILURE and undoes the sign-up, so the name is free to retry", async () => {
    const username = `refused-${randomBytes(4).toString("hex")}`;
    const res = await signUp(username, `${username}@refused.test`);
    expectCode(res, "CODE_DELIVERY_FAILURE");
    expect(res.body.data?.["signUp"] ?? null).toBeNull();
    expect(await gw.pool.store.getUserByUsername(username)).toBeUndefined();
    expectCode(await confirm(username, "123456"), "CODE_MISMATCH");
    const retry = await signUp(username, `${username}@example.com`);
    expect(retry.body.data?.["signUp"]).toMatchObject({ userConfirmed: false });
  });
});

describe("the gateway and its mail server", () => {
  it("starts when the mail server is down, and says so in a warning", async () => {
    const captured = capturedLogger();
    const dir = mkdtempSync(join(tmpdir(), "poolgate-delivery-"));
    const config = loadConfig({
      POOLGATE_PORT: "0",
      POOLGATE_DATABASE_URL: `sqlite:${join(dir, "poolgate.db")}`,
      POOLGATE_MASTER_KEY: randomBytes(32).toString("base64"),
      POOLGATE_PASSWORD_HASH_MEMORY_KIB: "1024",
      POOLGATE_SMTP_URL: "smtp://127.0.0.1:1",
      POOLGATE_SMTP_TIMEOUT_MS: "300",
    });
    const gateway = await createGateway({ config, logger: captured.logger });
    try {
      await gateway.listen();
      const warned = () =>
        captured.lines.some(
          (l) => l["level"] === 40 && String(l["msg"]).includes("SMTP server not usable"),
        );
      const deadline = Date.now() + 5000;
      while (!warned() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(warned()).toBe(true);
    } finally {
      await gateway.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a restarted test gateway gets a new mail server, and the environment points at it", async () => {
    const first = await startGateway({ env: { POOLGATE_SELF_SIGN_UP: "true" } });
    await first.stop();
    const second = await startGateway({ reuse: { dir: first.dir, env: first.env } });
    try {
      expect(second.smtp!.url).not.toBe(first.smtp!.url);
      expect(second.env["POOLGATE_SMTP_URL"]).toBe(second.smtp!.url);
      const client = await createClient(second);
      const username = `restart-${randomBytes(4).toString("hex")}`;
      const res = await second.gql(SIGN_UP, {
        input: {
          clientId: client.clientId,
          username,
          password: PASSWORD,
          attributes: [{ name: "email", value: `${username}@example.com` }],
        },
      });
      expect(codeOf(res)).toBeUndefined();
      expect(second.sentCodes).toEqual([
        {
          username,
          code: expect.stringMatching(/^\d{6}$/),
          destination: `${username}@example.com`,
        },
      ]);
    } finally {
      await second.close();
    }
  });
});
