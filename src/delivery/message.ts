/**
 * What identity/ asks delivery/ to send (DESIGN §11). identity/ knows only this port; the
 * SMTP sender and the development log sender implement it, and server.ts wires one in.
 */

/**
 * Which template a message uses: `verification` (sign-up, resend, forgot password, attribute
 * verification), `invitation` (AdminCreateUser; the code is the temporary password), `mfa`
 * (EMAIL_OTP sign-in codes).
 */
export type MessageKind = "verification" | "invitation" | "mfa";

export interface Message {
  kind: MessageKind;
  /** The recipient's email address. */
  to: string;
  /** Fills `{username}`. */
  username: string;
  /** Fills `{####}`: the code, or the temporary password of an invitation. Never logged in production. */
  code: string;
}

export interface MessageSender {
  /**
   * Resolves once the mail server has accepted the message; rejects with DeliveryError when it
   * could not be handed over (refused, unreachable, timed out), so the caller can spend the
   * code it carried and answer CODE_DELIVERY_FAILURE.
   */
  send(message: Message): Promise<void>;
}

/** A message that could not be handed to the mail server. `detail` is for the log and holds no code. */
export class DeliveryError extends Error {
  override readonly name = "DeliveryError";
  constructor(readonly detail: string) {
    super("The message could not be delivered");
  }
}
