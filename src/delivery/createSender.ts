/** The sender the configuration asks for: SMTP when POOLGATE_SMTP_URL is set, else the log. */
import type { Logger } from "pino";
import type { Config } from "../config";
import { LogSender } from "./logSender";
import type { MessageSender } from "./message";
import { SmtpSender } from "./smtp";

export interface GatewaySender extends MessageSender {
  /** Says at start whether messages can go out; never rejects, so it never blocks a start. */
  verify(): Promise<boolean>;
  /** Releases the transport (on shutdown). */
  close(): Promise<void>;
}

export function createSender(config: Readonly<Config>, logger: Logger): GatewaySender {
  return config.smtpUrl !== undefined
    ? new SmtpSender(config, logger)
    : new LogSender(config, logger);
}
