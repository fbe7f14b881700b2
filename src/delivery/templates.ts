/**
 * A message's subject and text from the configured templates of its kind, with Cognito's
 * placeholders filled: `{####}` (the code, or an invitation's temporary password) and
 * `{username}`. Plain text only.
 */
import type { Config } from "../config";
import type { Message, MessageKind } from "./message";

export type Templates = Pick<
  Config,
  | "emailVerificationSubject"
  | "emailVerificationMessage"
  | "emailInvitationSubject"
  | "emailInvitationMessage"
  | "emailMfaSubject"
  | "emailMfaMessage"
>;

export interface RenderedMessage {
  subject: string;
  text: string;
}

const PLACEHOLDER = /\{####\}|\{username\}/g;

/**
 * Every placeholder in one pass, through a replacer function: a value is inserted as it is
 * (`$&` in a code or username stays literal), and text a value brings in is never searched
 * again (a username `{####}` does not become the code).
 */
function fill(template: string, message: Pick<Message, "code" | "username">): string {
  return template.replace(PLACEHOLDER, (placeholder) =>
    placeholder === "{####}" ? message.code : message.username,
  );
}

function templatesOf(
  templates: Templates,
  kind: MessageKind,
): { subject: string; message: string } {
  switch (kind) {
    case "verification":
      return {
        subject: templates.emailVerificationSubject,
        message: templates.emailVerificationMessage,
      };
    case "invitation":
      return {
        subject: templates.emailInvitationSubject,
        message: templates.emailInvitationMessage,
      };
    case "mfa":
      return { subject: templates.emailMfaSubject, message: templates.emailMfaMessage };
  }
}

export function renderMessage(templates: Templates, message: Message): RenderedMessage {
  const { subject, message: text } = templatesOf(templates, message.kind);
  return { subject: fill(subject, message), text: fill(text, message) };
}
