/**
 * Email over SMTP (DESIGN §11) through nodemailer: `smtp://user:pass@host:587` upgrades with
 * STARTTLS when the server offers it (nodemailer's default; `?requireTLS=true` insists),
 * `smtps://…:465` is TLS from the start. Every failure becomes a DeliveryError whose detail
 * names what went wrong in SMTP terms (nodemailer's error code, the reply code, the command)
 * and never the code, the message text, the URL's password or the recipient's full address:
 * nodemailer's own messages quote the server's reply, which may echo the address, so they are
 * never used.
 */
import { createTransport, type Transporter } from "nodemailer";
import type { Logger } from "pino";
import type { Config } from "../config";
import { maskEmail } from "./mask";
import { DeliveryError, type Message, type MessageSender } from "./message";
import { renderMessage } from "./templates";

/**
 * URL parameters nodemailer would act on that could put a message (code included) or the
 * SMTP conversation (credentials included) into a log: dropped whatever the URL says.
 */
const LOGGING_PARAMETERS = ["logger", "debug", "transactionLog"];

/** One address, nothing a mail library would split into several or read as a display name. */
const SINGLE_ADDRESS = /^[^\s@,;:<>()[\]\\"]+@[^\s@,;:<>()[\]\\"]+$/;

/** nodemailer's error codes are E + capitals (EENVELOPE, ETIMEDOUT); SMTP commands are words. */
const ERROR_CODE = /^E[A-Z0-9]{1,24}$/;
const COMMAND = /^[A-Z][A-Z0-9 -]{0,19}$/;
const ENHANCED_STATUS = /^\d{3}[ -](\d\.\d{1,3}\.\d{1,3})\b/;

/** What a failure says about SMTP, built only from fields that cannot hold a code or an address. */
export function smtpFailureDetail(err: unknown): string {
  const e = (typeof err === "object" && err !== null ? err : {}) as Record<string, unknown>;
  const parts: string[] = [];
  if (typeof e["code"] === "string" && ERROR_CODE.test(e["code"])) parts.push(e["code"]);
  if (typeof e["responseCode"] === "number" && Number.isInteger(e["responseCode"]))
    parts.push(String(e["responseCode"]));
  const enhanced = typeof e["response"] === "string" ? ENHANCED_STATUS.exec(e["response"]) : null;
  if (enhanced?.[1]) parts.push(enhanced[1]);
  if (typeof e["command"] === "string" && COMMAND.test(e["command"]))
    parts.push(`(${e["command"]})`);
  if (typeof e["timeoutType"] === "string" && /^[A-Z_]{1,32}$/.test(e["timeoutType"]))
    parts.push(e["timeoutType"]);
  return parts.length > 0 ? parts.join(" ") : "unknown failure";
}

export class SmtpSender implements MessageSender {
  private readonly transport: Transporter;
  private readonly host: string;

  constructor(
    private readonly config: Readonly<Config>,
    private readonly logger: Logger,
  ) {
    if (config.smtpUrl === undefined) throw new Error("SmtpSender needs POOLGATE_SMTP_URL");
    const url = new URL(config.smtpUrl);
    for (const name of LOGGING_PARAMETERS) url.searchParams.delete(name);
    this.host = url.host;
    // Not pooled: each message opens its own connection. Codes go out one at a time, on a
    // human's sign-up or sign-in, so a handshake per message costs little; in exchange every
    // send is bounded by the timeouts below and fails for the request that made it (a pool
    // queues behind busy connections and silently re-queues on a dropped one, outside those
    // bounds), nothing idles between messages for the server or a NAT to drop, and close()
    // has nothing to drain. `?pool=true` in the URL still selects nodemailer's pool.
    this.transport = createTransport({
      url: url.toString(),
      connectionTimeout: config.smtpTimeoutMs,
      greetingTimeout: config.smtpTimeoutMs,
      socketTimeout: config.smtpTimeoutMs,
      logger: false,
      debug: false,
    });
  }

  async send(message: Message): Promise<void> {
    const about = `${message.kind} message to ${maskEmail(message.to)}`;
    if (!SINGLE_ADDRESS.test(message.to))
      throw new DeliveryError(`${about}: not a single email address`);
    const { subject, text } = renderMessage(this.config, message);
    let rejected: unknown[];
    try {
      const info = (await this.transport.sendMail({
        from: this.config.emailFrom,
        // An address object, so the recipient is taken as one address, never parsed as a list.
        to: { name: "", address: message.to },
        subject,
        text,
      })) as { rejected?: unknown[] };
      rejected = info.rejected ?? [];
    } catch (err) {
      throw new DeliveryError(`${about}: ${smtpFailureDetail(err)}`);
    }
    if (rejected.length > 0) throw new DeliveryError(`${about}: recipient rejected`);
  }

  /**
   * Connects and authenticates once, to report a misconfigured or unreachable server at start.
   * Never rejects: the gateway starts whatever the mail server does, and only a warning says so.
   */
  async verify(): Promise<boolean> {
    try {
      await this.transport.verify();
      this.logger.info({ smtpHost: this.host }, "SMTP server reachable");
      return true;
    } catch (err) {
      this.logger.warn(
        { smtpHost: this.host, detail: smtpFailureDetail(err) },
        "SMTP server not usable at start: messages fail with CODE_DELIVERY_FAILURE until it is",
      );
      return false;
    }
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}
