/**
 * A real SMTP server for tests (smtp-server on 127.0.0.1, port 0): every message is parsed
 * with mailparser and recorded BEFORE the server acknowledges its DATA, so by the time a
 * sender's send() resolves, the message is in `messages`. Options make it fail on purpose:
 * reject recipients or the message with a 5xx, answer late or never, or require AUTH.
 */
import type { AddressInfo } from "node:net";
import { simpleParser } from "mailparser";
import { SMTPServer, type SMTPServerSession } from "smtp-server";

export interface ReceivedMail {
  /** The envelope's recipients (RCPT TO), as the client gave them. */
  to: string[];
  /** The envelope's sender (MAIL FROM). */
  from: string;
  /** The From header. */
  fromHeader: string;
  subject: string;
  /** The plain-text body. */
  text: string;
  /** Whether the session was on TLS (after STARTTLS) when the message came. */
  secure: boolean;
  /** The AUTH user the client signed in as, if it did. */
  user: string | undefined;
  receivedAt: number;
}

export interface TestSmtpOptions {
  /** Offer STARTTLS (with smtp-server's built-in self-signed test certificate). @default false */
  starttls?: boolean;
  /** Require AUTH (PLAIN or LOGIN) with these credentials; the URL then carries them. */
  auth?: { user: string; pass: string };
  /**
   * Answer RCPT TO with this 5xx reply — for every recipient, or those `when` picks. The reply
   * quotes the address, as real servers do (`550 5.1.1 <a@b.c>: Recipient address rejected`).
   */
  rejectRcpt?: { code: number; when?: (address: string) => boolean };
  /** Answer the end of DATA with this 5xx reply; the message is still parsed, into `refused`. */
  rejectData?: { code: number };
  /** Wait this long before the greeting (Infinity: never greet). */
  greetingDelayMs?: number;
  /** Wait this long before answering the end of DATA. */
  dataDelayMs?: number;
  /** Largest message accepted. @default 1 MiB */
  sizeLimitBytes?: number;
}

export interface TestSmtpServer {
  /** smtp://[user:pass@]127.0.0.1:PORT (plus what the client needs for the test certificate). */
  readonly url: string;
  readonly port: number;
  /** Messages accepted, oldest first. */
  readonly messages: readonly ReceivedMail[];
  /** Messages received but refused at the end of DATA (rejectData). */
  readonly refused: readonly ReceivedMail[];
  /** The first accepted message (already there or still to come) that matches. */
  waitFor(predicate: (mail: ReceivedMail) => boolean, timeoutMs?: number): Promise<ReceivedMail>;
  /** The last accepted message to this address (case-insensitive). */
  lastTo(address: string): ReceivedMail | undefined;
  /** The 6-digit code in a message's text. */
  codeIn(mail: ReceivedMail): string;
  close(): Promise<void>;
}

/** The first 6-digit number standing on its own in a message's text. */
export function codeIn(mail: Pick<ReceivedMail, "text">): string {
  const match = /(?<!\d)\d{6}(?!\d)/.exec(mail.text);
  if (!match) throw new Error(`no 6-digit code in: ${JSON.stringify(mail.text.slice(0, 200))}`);
  return match[0];
}

function smtpError(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

export async function startSmtpServer(options: TestSmtpOptions = {}): Promise<TestSmtpServer> {
  const messages: ReceivedMail[] = [];
  const refused: ReceivedMail[] = [];
  const waiters = new Set<() => void>();
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void) => {
    if (ms === Infinity) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };

  async function record(
    stream: NodeJS.ReadableStream,
    session: SMTPServerSession,
  ): Promise<ReceivedMail> {
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    const parsed = await simpleParser(Buffer.concat(chunks));
    return {
      to: session.envelope.rcptTo.map((a) => a.address),
      from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
      fromHeader: parsed.from?.text ?? "",
      subject: parsed.subject ?? "",
      // Without the line break that ends the body on the wire.
      text: (parsed.text ?? "").replace(/\r?\n$/, ""),
      secure: session.secure,
      user: typeof session.user === "string" ? session.user : undefined,
      receivedAt: Date.now(),
    };
  }

  const server = new SMTPServer({
    logger: false,
    disableReverseLookup: true,
    size: options.sizeLimitBytes ?? 1024 * 1024,
    rejectOversized: true,
    authOptional: options.auth === undefined,
    allowInsecureAuth: true,
    disabledCommands: [
      ...(options.starttls ? [] : ["STARTTLS"]),
      ...(options.auth ? [] : ["AUTH"]),
    ],
    // Stopping a test must not wait for a client that never finishes.
    closeTimeout: 100,
    onConnect(_session, callback) {
      if (options.greetingDelayMs === undefined) callback();
      else later(options.greetingDelayMs, () => callback());
    },
    onAuth(auth, _session, callback) {
      const expected = options.auth;
      if (expected && auth.username === expected.user && auth.password === expected.pass)
        callback(null, { user: auth.username });
      else callback(smtpError(535, "5.7.8 Authentication credentials invalid"));
    },
    onRcptTo(address, _session, callback) {
      const reject = options.rejectRcpt;
      if (reject && (reject.when?.(address.address) ?? true))
        callback(smtpError(reject.code, `5.1.1 <${address.address}>: Recipient address rejected`));
      else callback();
    },
    onData(stream, session, callback) {
      record(stream, session).then(
        (mail) => {
          const answer = () => {
            if (options.rejectData) {
              refused.push(mail);
              callback(smtpError(options.rejectData.code, "5.6.0 Message refused"));
              return;
            }
            messages.push(mail);
            for (const wake of waiters) wake();
            callback();
          };
          if (options.dataDelayMs === undefined) answer();
          else later(options.dataDelayMs, answer);
        },
        (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
      );
    },
  });
  server.on("error", () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  const credentials = options.auth
    ? `${encodeURIComponent(options.auth.user)}:${encodeURIComponent(options.auth.pass)}@`
    : "";
  // The built-in certificate is self-signed: a client in a test must accept it to upgrade.
  const query = options.starttls ? "?tls.rejectUnauthorized=false" : "";
  const url = `smtp://${credentials}127.0.0.1:${port}${query}`;

  let closed: Promise<void> | undefined;
  return {
    url,
    port,
    messages,
    refused,
    waitFor(predicate, timeoutMs = 5000) {
      const found = messages.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching message within ${timeoutMs} ms`));
        }, timeoutMs);
        const check = () => {
          const mail = messages.find(predicate);
          if (!mail) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(mail);
        };
        waiters.add(check);
      });
    },
    lastTo(address) {
      const wanted = address.toLowerCase();
      return messages.findLast((m) => m.to.some((to) => to.toLowerCase() === wanted));
    },
    codeIn,
    close() {
      closed ??= new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.close(() => resolve());
      });
      return closed;
    },
  };
}
