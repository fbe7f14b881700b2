/**
 * The hosted sign-in page of the authorization code flow (DESIGN §13): /login with an
 * authorization request runs the whole sign-in conversation (DESIGN §11) server-side, as
 * plain HTML forms with no script. Each form posts back to /login with
 *
 *   - `csrf`: the HMAC of the browser's CSRF cookie (web.ts), checked before anything else;
 *   - `flow`: the conversation's state sealed by the server (the authorization request, the
 *     challenge's Session, what the step shows), bound to the same CSRF cookie, so a flow
 *     lifted from one browser does not work in another;
 *   - `step`: which form it is.
 *
 * Every decision is the identity services' (identity/hostedSignIn.ts runs the same engine as
 * the API front doors); this file only maps forms to calls and answers to pages. At the end,
 * a new hosted session replaces any old one, and the browser goes back to the client with a
 * code (./authorize.ts completeAuthorization).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { isPoolgateError, PoolgateError } from "../errors";
import { qrCodeSvg } from "../graphql/qrCode";
import type { UserPool } from "../identity/pool";
import type { IssuedChallenge, FlowResult } from "../identity/signIn";
import type { Authenticated } from "../identity/hostedSignIn";
import type { ClientView } from "../identity/views";
import { BodyTooLargeError, readBody } from "../http/body";
import { MESSAGES } from "../http/login/messages";
import { completeAuthorization, errorRedirect, sendErrorPage, type OidcContext } from "./authorize";
import { hostedStepPage, type HostedStep } from "./pages";
import { checkAuthorizeRequest, type AuthorizeRequest } from "./request";
import {
  cookieNames,
  hostedCookie,
  newCookieSecret,
  newNonce,
  pageCsp,
  readCookie,
  sendPage,
  sendRedirect,
  setCookie,
} from "./web";

/** How long one hosted page stays usable: the conversation's steps have shorter lives of their own. */
const FLOW_SECONDS = 3600;

/** The server-side state of each step: what the next form submits into, and what it shows. */
type StepState =
  | { step: "sign-in"; username?: string }
  | { step: "new-password"; session: string; requiredAttributes: string[] }
  | { step: "mfa-setup"; session: string; secret: string; otpauthUri: string }
  | { step: "totp"; session: string }
  | { step: "email-otp"; session: string; destination: string }
  | { step: "select-mfa"; session: string; factors: string[] }
  | { step: "forgot" }
  | { step: "reset"; username: string; destination: string }
  | { step: "sign-up" }
  | { step: "confirm-sign-up"; username: string; destination: string };

interface Flow {
  request: AuthorizeRequest;
  /** The CSRF token of the browser the flow belongs to. */
  bind: string;
  state: StepState;
}

/** What a submitted step leads to. */
type Outcome =
  { kind: "step"; state: StepState; notice?: string } | { kind: "done"; signedIn: Authenticated };

const FORM_FIELDS = 40;

function messageOf(err: PoolgateError, where: "step" | "forgot" | "sign-in"): string {
  return MESSAGES[`${where}:${err.code}`] ?? MESSAGES[err.code] ?? err.message;
}

function field(form: Map<string, string>, name: string): string {
  return (form.get(name) ?? "").trim();
}

/** Reads an urlencoded form; a parameter given twice, or too many, makes it undefined. */
async function readHostedForm(
  req: IncomingMessage,
  maxBytes: number,
): Promise<Map<string, string> | undefined> {
  const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded") return undefined;
  let raw: Buffer;
  try {
    raw = await readBody(req, maxBytes);
  } catch (err) {
    if (err instanceof BodyTooLargeError) return undefined;
    throw err;
  }
  const form = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(raw.toString("utf8"))) {
    if (form.has(name) || form.size >= FORM_FIELDS) return undefined;
    form.set(name, value);
  }
  return form;
}

/**
 * A POST is accepted only from this origin's own pages: a browser that says where the form
 * came from (Sec-Fetch-Site, Origin) must say "here". The CSRF token is the check that does
 * not depend on the browser; these refuse a cross-site post before the body is even read.
 */
function sameOrigin(req: IncomingMessage, issuer: string): boolean {
  const site = req.headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin") return false;
  const origins = req.headersDistinct.origin;
  if (origins === undefined) return true;
  if (origins.length !== 1) return false;
  const origin = origins[0]!;
  if (origin === new URL(issuer).origin) return true;
  const host = req.headers.host;
  try {
    return host !== undefined && new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}

export class HostedPage {
  private readonly names;

  constructor(private readonly ctx: OidcContext) {
    this.names = cookieNames(ctx.insecureCookies);
  }

  private get pool(): UserPool {
    return this.ctx.pool;
  }

  /** GET /login with an authorization request: the sign-in form, in a new flow. */
  async start(req: IncomingMessage, res: ServerResponse, url: URL, log: Logger): Promise<void> {
    const check = await checkAuthorizeRequest(url.searchParams, (id) => this.pool.clients.get(id));
    if (!check.ok) {
      if ("page" in check) return sendErrorPage(req, res, 400, check.page);
      log.info({ error: check.error }, "hosted sign-in refused: error sent to the client");
      return sendRedirect(
        res,
        errorRedirect(this.ctx.issuer, check.redirect, check.error, check.description),
        302,
      );
    }
    const cookies: string[] = [];
    let secret = readCookie(req, this.names.csrf);
    if (secret === undefined) {
      secret = newCookieSecret();
      cookies.push(setCookie(this.names.csrf, secret, this.ctx.insecureCookies));
    }
    const state: StepState = check.request.loginHint
      ? { step: "sign-in", username: check.request.loginHint }
      : { step: "sign-in" };
    await this.render(req, res, 200, { request: check.request, bind: "", state }, secret, {
      cookies,
    });
  }

  /** POST /login: one submitted step. */
  async submit(req: IncomingMessage, res: ServerResponse, log: Logger): Promise<void> {
    if (!sameOrigin(req, this.ctx.issuer)) {
      log.info("hosted sign-in refused: a cross-site form post");
      return sendErrorPage(req, res, 403, "This form was not sent from this sign-in page.");
    }
    const form = await readHostedForm(req, this.ctx.maxBodyBytes);
    if (form === undefined)
      return sendErrorPage(req, res, 400, "The form could not be read. Go back and try again.");
    const secret = readCookie(req, this.names.csrf);
    if (!this.pool.authorization.csrfMatches(secret, form.get("csrf"))) {
      log.info("hosted sign-in refused: CSRF token missing or wrong");
      return sendErrorPage(
        req,
        res,
        403,
        "This sign-in page has expired or was opened elsewhere. Go back to the application and sign in again.",
      );
    }
    const flow = await this.openFlow(form.get("flow") ?? "", secret!);
    if (flow === undefined)
      return sendErrorPage(
        req,
        res,
        400,
        "This sign-in page has expired. Go back to the application and sign in again.",
      );
    const client = await this.pool.clients.get(flow.request.clientId);
    if (!client || !client.enabled || !client.callbackUrls.includes(flow.request.redirectUri))
      return sendErrorPage(req, res, 400, "The app client is unknown or disabled.");

    let outcome: Outcome;
    try {
      outcome = await this.step(client, flow.state, form);
    } catch (err) {
      if (!isPoolgateError(err)) throw err;
      log.info(
        { code: err.code, detail: err.logDetail, step: flow.state.step },
        "hosted step refused",
      );
      return this.refused(req, res, flow, secret!, err);
    }
    if (outcome.kind === "step") {
      const next = { ...flow, state: outcome.state };
      return this.render(
        req,
        res,
        200,
        next,
        secret!,
        outcome.notice ? { notice: outcome.notice } : {},
      );
    }
    // Signed in: a new hosted session replaces whatever this browser had (never adopt a
    // session id the server did not just make), then back to the client.
    await this.pool.authorization.endHostedSession(readCookie(req, this.names.hosted));
    let location: string;
    try {
      // Before the hosted session: the implicit flow's pre token generation hook may refuse,
      // and then this browser is not left signed in by a sign-in that gave nothing.
      location = await completeAuthorization(this.ctx, client, flow.request, outcome.signedIn);
    } catch (err) {
      if (!isPoolgateError(err) || err.code !== "UNEXPECTED_LAMBDA") throw err;
      log.info({ code: err.code, detail: err.logDetail }, "hosted sign-in refused by a hook");
      return this.refused(req, res, { ...flow, state: { step: "sign-in" } }, secret!, err);
    }
    const id = await this.pool.authorization.startHostedSession(outcome.signedIn);
    log.info(
      { event: "hosted_sign_in", clientId: client.clientId },
      "signed in at the hosted page",
    );
    sendRedirect(res, location, 303, [hostedCookie(this.names, id, this.ctx.insecureCookies)]);
  }

  /** A refused step: the same form again with the reason, or the start when the step is gone. */
  private async refused(
    req: IncomingMessage,
    res: ServerResponse,
    flow: Flow,
    secret: string,
    err: PoolgateError,
  ): Promise<void> {
    const where =
      flow.state.step === "sign-in"
        ? "sign-in"
        : flow.state.step === "forgot" || flow.state.step === "reset"
          ? "forgot"
          : "step";
    if (err.code === "INVALID_SESSION" || (where === "step" && err.code === "NOT_AUTHORIZED")) {
      const restart = { ...flow, state: { step: "sign-in" } as StepState };
      return this.render(req, res, 400, restart, secret, { error: messageOf(err, where) });
    }
    if (err.code === "INVALID_SCOPE")
      return sendRedirect(
        res,
        errorRedirect(this.ctx.issuer, flow.request, "invalid_scope", err.message),
        303,
      );
    return this.render(req, res, 400, flow, secret, { error: messageOf(err, where) });
  }

  private async step(
    client: ClientView,
    state: StepState,
    form: Map<string, string>,
  ): Promise<Outcome> {
    const submitted = form.get("step") ?? "";
    const auth = this.pool.hostedAuth;
    switch (submitted) {
      case "cancel":
        return { kind: "step", state: { step: "sign-in" } };
      case "forgot-start":
        if (!this.ctx.forgotPassword) break;
        return { kind: "step", state: { step: "forgot" } };
      case "sign-up-start":
        if (!this.ctx.signUp) break;
        return { kind: "step", state: { step: "sign-up" } };
    }
    if (
      submitted !== state.step &&
      !(submitted === "resend" && (state.step === "reset" || state.step === "confirm-sign-up"))
    )
      throw new PoolgateError("INVALID_SESSION", "This form is out of date.");
    switch (state.step) {
      case "sign-in": {
        const username = field(form, "username");
        const password = form.get("password") ?? "";
        if (username === "" || password === "") throw badInput("Enter your username and password.");
        return this.after(
          client,
          await auth.initiateAuthAs(client, { authFlow: "USER_PASSWORD_AUTH", username, password }),
        );
      }
      case "new-password": {
        const password = form.get("new_password") ?? "";
        if (password !== (form.get("new_password_confirm") ?? ""))
          throw badInput(MESSAGES["PASSWORDS_DIFFER"]!);
        const responses: Record<string, string> = { NEW_PASSWORD: password };
        for (const name of state.requiredAttributes)
          responses[`userAttributes.${name}`] = field(form, `attr:${name}`);
        return this.after(
          client,
          await auth.respondAs(client, {
            challengeName: "NEW_PASSWORD_REQUIRED",
            session: state.session,
            responses,
          }),
        );
      }
      case "mfa-setup": {
        const verified = await this.pool.softwareTokens.verify(
          { session: state.session },
          field(form, "code").replace(/\s/g, ""),
        );
        return this.after(
          client,
          await auth.respondAs(client, {
            challengeName: "MFA_SETUP",
            session: verified.session ?? "",
            responses: {},
          }),
        );
      }
      case "totp":
        return this.after(
          client,
          await auth.respondAs(client, {
            challengeName: "SOFTWARE_TOKEN_MFA",
            session: state.session,
            responses: { SOFTWARE_TOKEN_MFA_CODE: field(form, "code").replace(/\s/g, "") },
          }),
        );
      case "email-otp":
        return this.after(
          client,
          await auth.respondAs(client, {
            challengeName: "EMAIL_OTP",
            session: state.session,
            responses: { EMAIL_OTP_CODE: field(form, "code").replace(/\s/g, "") },
          }),
        );
      case "select-mfa":
        return this.after(
          client,
          await auth.respondAs(client, {
            challengeName: "SELECT_MFA_TYPE",
            session: state.session,
            responses: { ANSWER: field(form, "factor") },
          }),
        );
      case "forgot": {
        const username = field(form, "username");
        if (username === "") throw badInput(MESSAGES["ENTER_USERNAME"]!);
        const sent = await this.pool.recovery.forgotPassword(username, client.clientId);
        return { kind: "step", state: { step: "reset", username, destination: sent.destination } };
      }
      case "reset": {
        if (submitted === "resend") {
          const sent = await this.pool.recovery.forgotPassword(state.username, client.clientId);
          return {
            kind: "step",
            state: { ...state, destination: sent.destination },
            notice: MESSAGES["CODE_RESENT"]!,
          };
        }
        const password = form.get("new_password") ?? "";
        if (password !== (form.get("new_password_confirm") ?? ""))
          throw badInput(MESSAGES["PASSWORDS_DIFFER"]!);
        await this.pool.recovery.confirmForgotPassword(
          state.username,
          field(form, "code").replace(/\s/g, ""),
          password,
        );
        return {
          kind: "step",
          state: { step: "sign-in", username: state.username },
          notice: MESSAGES["PASSWORD_CHANGED"]!,
        };
      }
      case "sign-up": {
        const username = field(form, "username");
        const password = form.get("password") ?? "";
        const attributes: Record<string, string> = {};
        const email = field(form, "email");
        if (email !== "") attributes["email"] = email;
        for (const name of this.pool.config.requiredAttributes) {
          const value = field(form, `attr:${name}`);
          if (value !== "" && attributes[name] === undefined) attributes[name] = value;
        }
        if (username === "" || password === "") throw badInput("Enter a username and a password.");
        const created = await this.pool.users.signUp({ username, password, attributes });
        return {
          kind: "step",
          state: { step: "confirm-sign-up", username, destination: created.destination ?? "" },
        };
      }
      case "confirm-sign-up": {
        if (submitted === "resend") {
          const sent = await this.pool.recovery.resendConfirmationCode(state.username);
          return {
            kind: "step",
            state: { ...state, destination: sent.destination },
            notice: MESSAGES["CODE_RESENT"]!,
          };
        }
        await this.pool.users.confirmSignUp(state.username, field(form, "code").replace(/\s/g, ""));
        return {
          kind: "step",
          state: { step: "sign-in", username: state.username },
          notice: "Your account is confirmed. Sign in to continue.",
        };
      }
    }
    throw badInput("This action is not available here.");
  }

  /** A conversation's answer: the next challenge's step, or the end. */
  private async after(client: ClientView, result: FlowResult<Authenticated>): Promise<Outcome> {
    if (result.kind === "authenticated") return { kind: "done", signedIn: result };
    return { kind: "step", state: await this.challengeStep(client, result.challenge) };
  }

  private async challengeStep(_client: ClientView, challenge: IssuedChallenge): Promise<StepState> {
    const session = challenge.session ?? "";
    const p = challenge.parameters;
    switch (challenge.challengeName) {
      case "NEW_PASSWORD_REQUIRED": {
        const required = JSON.parse(p["requiredAttributes"] ?? "[]") as string[];
        return {
          step: "new-password",
          session,
          requiredAttributes: required.map((a) => a.replace(/^userAttributes\./, "")),
        };
      }
      case "MFA_SETUP": {
        // The page shows the secret at once: associate now, with the step's Session.
        const associated = await this.pool.softwareTokens.associate({ session });
        return {
          step: "mfa-setup",
          session: associated.session ?? "",
          secret: associated.secretCode,
          otpauthUri: associated.otpauthUri,
        };
      }
      case "SOFTWARE_TOKEN_MFA":
        return { step: "totp", session };
      case "EMAIL_OTP":
        return { step: "email-otp", session, destination: p["CODE_DELIVERY_DESTINATION"] ?? "" };
      case "SELECT_MFA_TYPE":
        return {
          step: "select-mfa",
          session,
          factors: JSON.parse(p["MFAS_CAN_CHOOSE"] ?? "[]") as string[],
        };
      default:
        throw badInput(MESSAGES["UNSUPPORTED_CHALLENGE"]!);
    }
  }

  private async openFlow(sealed: string, secret: string): Promise<Flow | undefined> {
    const opened = await this.pool.authorization.openFlow(sealed);
    if (opened === undefined) return undefined;
    const flow = opened as unknown as Flow;
    if (typeof flow.bind !== "string" || flow.bind !== this.pool.authorization.csrfToken(secret))
      return undefined;
    return flow;
  }

  private async render(
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    flow: Flow,
    secret: string,
    extra: { error?: string; notice?: string; cookies?: string[] },
  ): Promise<void> {
    const csrf = this.pool.authorization.csrfToken(secret);
    const sealed = await this.pool.authorization.sealFlow(
      { request: flow.request, bind: csrf, state: flow.state },
      FLOW_SECONDS,
    );
    const nonce = newNonce();
    const html = hostedStepPage(
      {
        nonce,
        csrf,
        flow: sealed,
        ...(extra.error ? { error: extra.error } : {}),
        ...(extra.notice ? { notice: extra.notice } : {}),
      },
      await this.view(flow.state),
    );
    sendPage(req, res, status, html, pageCsp(nonce, flow.request.redirectUri), extra.cookies ?? []);
  }

  private async view(state: StepState): Promise<HostedStep> {
    const requiredAttributes = this.pool.config.requiredAttributes.filter((a) => a !== "email");
    switch (state.step) {
      case "sign-in":
        return {
          step: "sign-in",
          ...(state.username !== undefined ? { username: state.username } : {}),
          forgotPassword: this.ctx.forgotPassword,
          signUp: this.ctx.signUp,
        };
      case "new-password":
        return { step: "new-password", requiredAttributes: state.requiredAttributes };
      case "mfa-setup":
        return {
          step: "mfa-setup",
          qrSvg: await qrCodeSvg(state.otpauthUri),
          secret: state.secret,
          otpauthUri: state.otpauthUri,
        };
      case "totp":
        return { step: "totp" };
      case "email-otp":
        return { step: "email-otp", destination: state.destination };
      case "select-mfa":
        return { step: "select-mfa", factors: state.factors };
      case "forgot":
        return { step: "forgot" };
      case "reset":
        return { step: "reset", destination: state.destination };
      case "sign-up":
        return { step: "sign-up", requiredAttributes };
      case "confirm-sign-up":
        return { step: "confirm-sign-up", destination: state.destination };
    }
  }
}

function badInput(message: string): PoolgateError {
  return new PoolgateError("BAD_USER_INPUT", message);
}
