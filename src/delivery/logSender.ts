/**
 * The sender when POOLGATE_SMTP_URL is not set (DESIGN §11). In development it writes each
 * message, code included, to the log as a warning, since there is nowhere else to send it. In
 * production it never logs a code: there the configuration refuses to start when a feature
 * that sends mail is on without SMTP, so a message that still arrives here (an invitation)
 * fails with DeliveryError and its caller answers CODE_DELIVERY_FAILURE.
 */
import type { Logger } from "pino";
import type { Config } from "../config";
import { maskEmail } from "./mask";
import { DeliveryError, type Message, type MessageSender } from "./message";
import { renderMessage } from "./templates";

export class LogSender implements MessageSender {
  constructor(
    private readonly config: Readonly<Config>,
    private readonly logger: Logger,
  ) {}

  async send(message: Message): Promise<void> {
    const about = {
      kind: message.kind,
      username: message.username,
      destination: maskEmail(message.to),
    };
    if (this.config.environment !== "development") {
      this.logger.error(about, "SMTP is not configured (POOLGATE_SMTP_URL): message not sent");
      throw new DeliveryError(`${message.kind} message: SMTP is not configured`);
    }
    const { subject, text } = renderMessage(this.config, message);
    this.logger.warn(
      { ...about, subject, text },
      "SMTP is not configured (POOLGATE_SMTP_URL): development message written to the log",
    );
  }

  /** At start in development, says once where messages go. */
  async verify(): Promise<boolean> {
    if (this.config.environment === "development")
      this.logger.warn(
        "POOLGATE_SMTP_URL is not set: codes and invitations are written to the log (development only)",
      );
    return false;
  }

  async close(): Promise<void> {}
}
