/**
 * The hosted sign-in page's script: plain ES2017 in a string, served as is under the
 * response's CSP nonce, never bundled. It runs the sign-in conversation of DESIGN §11 over
 * GraphQL in cookie mode — initiateAuth, then one step view per challenge answered with
 * respondToAuthChallenge until tokens come — and the password reset (forgotPassword,
 * confirmForgotPassword).
 *
 * Rules it keeps: the access token and the challenge session live in variables only (never
 * in storage); the refresh token lives in the HttpOnly cookie, out of reach of any script.
 * Every dynamic value is written with textContent or as an attribute, never as HTML; the one
 * piece of markup from the server (the QR code's SVG) is parsed as XML and checked before it
 * enters the page. Words come from ./messages.ts (__MESSAGES__ and the label tables).
 *
 * String.raw: the backslashes of the regular expressions below reach the browser as written.
 */
export const SCRIPT = String.raw`
(function () {
  "use strict";
  var MESSAGES = __MESSAGES__;
  var ATTRIBUTE_LABELS = __ATTRIBUTE_LABELS__;
  var FACTOR_LABELS = __FACTOR_LABELS__;
  var app = document.getElementById("app");
  var clientId = app.getAttribute("data-client-id");
  var $ = function (id) { return document.getElementById(id); };
  var title = $("title"), alertBox = $("alert"), statusBox = $("status");
  var signedOut = $("signed-out"), signedIn = $("signed-in"), stepBox = $("step");
  var form = $("sign-in-form"), username = $("username"), password = $("password");
  // The access token lives in this variable only: never in localStorage or a cookie.
  var accessToken = null;
  var expiresAt = 0;
  // The sign-in conversation under way: { username, challengeName, session }. The session is
  // single use and short-lived; like the token, it is kept nowhere else.
  var conv = null;

  // ── messages ──────────────────────────────────────────────────────────────────────────

  function codeOf(err) { return err && typeof err.code === "string" ? err.code : "INTERNAL_SERVER_ERROR"; }
  function messageFor(code, where) {
    return MESSAGES[where + ":" + code] || MESSAGES[code] || MESSAGES.INTERNAL_SERVER_ERROR;
  }
  /** err: an error from gql ({ code, message }) or a code of the page's own. */
  function showError(err, where) {
    var code = typeof err === "string" ? err : codeOf(err);
    // The gateway's policy message names the rule the password broke.
    var server = code === "INVALID_PASSWORD" && err && typeof err.message === "string" ? err.message : "";
    statusBox.textContent = "";
    alertBox.textContent = server || messageFor(code, where);
  }
  function showStatus(text) { alertBox.textContent = ""; statusBox.textContent = text; }
  function clearMessages() { alertBox.textContent = ""; statusBox.textContent = ""; }

  // ── GraphQL ───────────────────────────────────────────────────────────────────────────

  async function gql(query, variables, token) {
    var headers = { "content-type": "application/json" };
    if (token) headers.authorization = "Bearer " + token;
    var res;
    try {
      res = await fetch("/graphql", {
        method: "POST", headers: headers, credentials: "same-origin", cache: "no-store",
        body: JSON.stringify({ query: query, variables: variables || {} })
      });
    } catch (e) {
      throw { code: "NETWORK_ERROR" };
    }
    var body;
    try { body = await res.json(); } catch (e) {
      throw { code: res.status === 503 ? "SERVICE_UNAVAILABLE" : "INTERNAL_SERVER_ERROR" };
    }
    if (body.errors && body.errors.length > 0) {
      var first = body.errors[0];
      var ext = first.extensions || {};
      throw {
        code: typeof ext.code === "string" ? ext.code : "INTERNAL_SERVER_ERROR",
        message: typeof first.message === "string" ? first.message : ""
      };
    }
    return body.data;
  }

  var ME = "{ me { sub username email emailVerified name groups authTime } }";
  var REFRESH = "mutation Refresh($input: RefreshInput!) { refresh(input: $input) { accessToken expiresIn } }";
  var FLOW = "{ authenticationResult { accessToken expiresIn } challengeName session challengeParameters { name value } }";
  var INITIATE = "mutation InitiateAuth($input: InitiateAuthInput!) { initiateAuth(input: $input) " + FLOW + " }";
  var RESPOND = "mutation Respond($input: RespondToAuthChallengeInput!) { respondToAuthChallenge(input: $input) " + FLOW + " }";
  var ASSOCIATE = "mutation Associate($session: String) { associateSoftwareToken(session: $session) { secretCode otpauthUri qrCodeSvg session } }";
  var VERIFY = "mutation Verify($input: VerifySoftwareTokenInput!) { verifySoftwareToken(input: $input) { status session } }";
  var FORGOT = "mutation Forgot($input: ForgotPasswordInput!) { forgotPassword(input: $input) { destination } }";
  var CONFIRM_FORGOT = "mutation ConfirmForgot($input: ConfirmForgotPasswordInput!) { confirmForgotPassword(input: $input) }";

  // ── views ─────────────────────────────────────────────────────────────────────────────

  function show(view) {
    signedOut.hidden = view !== signedOut;
    stepBox.hidden = view !== stepBox;
    signedIn.hidden = view !== signedIn;
    if (view !== stepBox) stepBox.textContent = "";
  }

  /** Puts a step (a <template> of the page) on screen, then moves the focus to its heading. */
  function openStep(templateId, heading, fill) {
    stepBox.textContent = "";
    stepBox.appendChild(document.importNode($(templateId).content, true));
    if (fill) fill();
    var cancels = stepBox.querySelectorAll("[data-action=cancel]");
    for (var i = 0; i < cancels.length; i++) {
      cancels[i].addEventListener("click", function () { clearMessages(); showSignedOut(true); });
    }
    var stepTitle = $("step-title");
    title.textContent = heading;
    document.title = stepTitle.textContent + " · poolgate";
    show(stepBox);
    stepTitle.focus();
  }

  function row(list, label, value) {
    if (value === null || value === undefined || value === "") return;
    var dt = document.createElement("dt"); dt.textContent = label;
    var dd = document.createElement("dd"); dd.textContent = value;
    list.appendChild(dt); list.appendChild(dd);
  }

  async function showSession(focus) {
    var data = await gql(ME, {}, accessToken);
    var me = data.me;
    if (!me) throw { code: "UNAUTHENTICATED" };
    var list = $("claims");
    list.textContent = "";
    row(list, "Username", me.username);
    row(list, "Subject (sub)", me.sub);
    row(list, "Name", me.name);
    if (me.email) row(list, "Email", me.email + (me.emailVerified ? " (verified)" : " (not verified)"));
    row(list, "Groups", me.groups.length ? me.groups.join(", ") : "none");
    if (me.authTime) row(list, "Signed in at", new Date(me.authTime * 1000).toLocaleString());
    row(list, "Access token valid until", new Date(expiresAt).toLocaleTimeString());
    $("who").textContent = me.username;
    document.title = "Signed in · poolgate";
    title.textContent = "Your account";
    show(signedIn);
    if (focus) title.focus();
  }

  function showSignedOut(focus) {
    accessToken = null;
    expiresAt = 0;
    conv = null;
    $("claims").textContent = "";
    document.title = "Sign in · poolgate";
    title.textContent = "Sign in";
    show(signedOut);
    if (focus) username.focus();
  }

  function accept(result) {
    accessToken = result.accessToken;
    expiresAt = Date.now() + result.expiresIn * 1000;
  }

  async function restore() {
    showStatus(MESSAGES.RESTORING);
    try {
      var data = await gql(REFRESH, { input: { clientId: clientId } });
      accept(data.refresh);
      clearMessages();
      await showSession(false);
    } catch (err) {
      // No cookie (INVALID_REFRESH_TOKEN) is the ordinary signed-out state: nothing to say.
      if (codeOf(err) === "INVALID_REFRESH_TOKEN") clearMessages(); else showError(err);
      showSignedOut(false);
    }
  }

  // ── forms ─────────────────────────────────────────────────────────────────────────────

  function invalid(field, on) {
    if (on) field.setAttribute("aria-invalid", "true"); else field.removeAttribute("aria-invalid");
  }

  /** A field the page refuses before sending anything: marked, explained, focused. */
  function refuse(field, code) {
    invalid(field, true);
    showError(code);
    field.focus();
  }

  /** Fields the gateway refused (a wrong code, a password against the policy): cleared, marked. */
  function wrong(fields) {
    for (var i = 0; i < fields.length; i++) { invalid(fields[i], true); fields[i].value = ""; }
    if (fields.length) fields[0].focus();
  }

  /** While a request is out: the element is aria-busy and every button of its view disabled. */
  function busy(element, on) {
    if (on) element.setAttribute("aria-busy", "true"); else element.removeAttribute("aria-busy");
    // A view that the answer replaced is gone: nothing left to re-enable.
    var view = element.closest("section");
    if (!view) return;
    var buttons = view.querySelectorAll("button");
    for (var i = 0; i < buttons.length; i++) buttons[i].disabled = on;
  }

  function onSubmit(formElement, handler) {
    formElement.addEventListener("submit", async function (event) {
      event.preventDefault();
      if (formElement.getAttribute("aria-busy") === "true") return;
      var fields = formElement.querySelectorAll("input");
      for (var i = 0; i < fields.length; i++) invalid(fields[i], false);
      busy(formElement, true);
      try {
        await handler();
      } catch (err) {
        showError(err);
      } finally {
        busy(formElement, false);
      }
    });
  }

  /** The six digits of a code field (spaces allowed, as apps show "123 456"), or null. */
  function codeFrom(field) {
    var value = field.value.replace(/\s+/g, "");
    return /^[0-9]{6}$/.test(value) ? value : null;
  }

  /** A challenge parameter that holds a JSON list of strings. */
  function jsonList(text) {
    try {
      var list = JSON.parse(text || "[]");
      return Array.isArray(list) ? list.filter(function (x) { return typeof x === "string"; }) : [];
    } catch (e) {
      return [];
    }
  }

  // ── the sign-in conversation ──────────────────────────────────────────────────────────

  onSubmit(form, async function () {
    var name = username.value.trim();
    if (!name) return refuse(username, "ENTER_USERNAME");
    if (!password.value) return refuse(password, "ENTER_PASSWORD");
    clearMessages();
    var data;
    try {
      data = await gql(INITIATE, { input: {
        clientId: clientId, authFlow: "USER_PASSWORD_AUTH", username: name,
        password: password.value, cookie: true
      } });
    } catch (err) {
      showError(err);
      if (codeOf(err) === "NOT_AUTHORIZED") { invalid(username, true); invalid(password, true); }
      password.value = "";
      password.focus();
      return;
    }
    password.value = "";
    conv = { username: name };
    await proceed(data.initiateAuth);
  });

  /** Where an answer leads: the signed-in view, or the view of the next challenge. */
  async function proceed(result) {
    if (result.authenticationResult) {
      conv = null;
      accept(result.authenticationResult);
      try {
        await showSession(true);
      } catch (err) {
        showSignedOut(true);
        showError(err);
      }
      return;
    }
    var params = {};
    (result.challengeParameters || []).forEach(function (p) { params[p.name] = p.value; });
    conv.challengeName = result.challengeName;
    conv.session = result.session;
    var step = STEPS[result.challengeName];
    if (!step) return restart("UNSUPPORTED_CHALLENGE");
    await step(params);
  }

  /** Back to the sign-in form, saying why: the conversation cannot go on. */
  function restart(err) {
    showSignedOut(false);
    showError(err, "step");
    (username.value ? password : username).focus();
  }

  // Errors after which the same step can be answered again (its session still works).
  var RETRY = { CODE_MISMATCH: 1, ENABLE_SOFTWARE_TOKEN_MFA: 1, INVALID_PASSWORD: 1, BAD_USER_INPUT: 1,
    NETWORK_ERROR: 1, SERVICE_UNAVAILABLE: 1, INTERNAL_SERVER_ERROR: 1 };
  var WRONG_ANSWER = { CODE_MISMATCH: 1, ENABLE_SOFTWARE_TOKEN_MFA: 1, INVALID_PASSWORD: 1 };

  /** A refused answer: the step stays for a wrong code or password; anything else starts over. */
  function stepFailed(err, fields) {
    var code = codeOf(err);
    if (!RETRY[code]) return restart(err);
    showError(err, "step");
    if (WRONG_ANSWER[code]) wrong(fields); else if (fields.length) fields[0].focus();
  }

  /** Answers the challenge on screen; fields: those a wrong answer is about. */
  async function answer(responses, fields) {
    var list = [{ name: "USERNAME", value: conv.username }];
    Object.keys(responses).forEach(function (name) { list.push({ name: name, value: responses[name] }); });
    var data;
    try {
      data = await gql(RESPOND, { input: {
        clientId: clientId, challengeName: conv.challengeName, session: conv.session,
        responses: list, cookie: true
      } });
    } catch (err) {
      return stepFailed(err, fields);
    }
    await proceed(data.respondToAuthChallenge);
  }

  var AUTOCOMPLETE = { name: "name", given_name: "given-name", family_name: "family-name",
    middle_name: "additional-name", nickname: "nickname", email: "email", phone_number: "tel",
    birthdate: "bday", address: "street-address", website: "url" };

  function newPasswordStep(params) {
    var extra = [];
    openStep("tpl-new-password", "Sign in", function () {
      var box = $("required-attributes");
      jsonList(params.requiredAttributes).forEach(function (key, i) {
        if (key.indexOf("userAttributes.") !== 0) return;
        var attribute = key.slice("userAttributes.".length);
        var input = document.createElement("input");
        input.id = "attribute-" + i;
        input.name = attribute;
        input.required = true;
        input.type = attribute === "email" ? "email" : attribute === "phone_number" ? "tel" : "text";
        if (AUTOCOMPLETE[attribute]) input.setAttribute("autocomplete", AUTOCOMPLETE[attribute]);
        var label = document.createElement("label");
        label.htmlFor = input.id;
        label.textContent = ATTRIBUTE_LABELS[attribute] || attribute;
        box.appendChild(label);
        box.appendChild(input);
        extra.push({ response: key, input: input });
      });
    });
    var pw = $("new-password"), again = $("new-password-confirm");
    onSubmit($("new-password-form"), async function () {
      if (!pw.value) return refuse(pw, "ENTER_NEW_PASSWORD");
      if (again.value !== pw.value) return refuse(again, "PASSWORDS_DIFFER");
      var responses = { NEW_PASSWORD: pw.value };
      for (var i = 0; i < extra.length; i++) {
        var value = extra[i].input.value.trim();
        if (!value) return refuse(extra[i].input, "ENTER_VALUE");
        responses[extra[i].response] = value;
      }
      clearMessages();
      await answer(responses, [pw, again]);
    });
  }

  // The server's QR code, as SVG (img-src 'none': no image may load). Parsed as XML, never as
  // HTML, and taken only if it is shapes and nothing else: no script, foreignObject, link or
  // event handler, and no style attribute (the CSP would block it).
  var SVG_NS = "http://www.w3.org/2000/svg";
  var SHAPES = { svg: 1, g: 1, path: 1, rect: 1 };
  function qrCode(text) {
    if (typeof text !== "string") return null;
    var doc = new DOMParser().parseFromString(text, "image/svg+xml");
    var root = doc.documentElement;
    if (!root || root.namespaceURI !== SVG_NS || root.localName !== "svg") return null;
    var nodes = [root].concat(Array.prototype.slice.call(root.getElementsByTagName("*")));
    for (var i = 0; i < nodes.length; i++) {
      if (nodes[i].namespaceURI !== SVG_NS || !SHAPES[nodes[i].localName]) return null;
      var attributes = nodes[i].attributes;
      for (var j = 0; j < attributes.length; j++) {
        var name = attributes[j].name.toLowerCase();
        if (name.indexOf("on") === 0 || name === "style" || name.indexOf("href") !== -1) return null;
      }
    }
    var svg = document.importNode(root, true);
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", MESSAGES.QR_LABEL);
    return svg;
  }

  async function mfaSetupStep() {
    showStatus(MESSAGES.PREPARING_SETUP);
    var setup;
    try {
      setup = (await gql(ASSOCIATE, { session: conv.session })).associateSoftwareToken;
    } catch (err) {
      return restart(err);
    }
    conv.session = setup.session;
    clearMessages();
    openStep("tpl-mfa-setup", "Sign in", function () {
      var svg = qrCode(setup.qrCodeSvg);
      if (svg) $("qr").appendChild(svg);
      else { $("qr").hidden = true; showError("QR_UNAVAILABLE"); }
      // Groups of four, as authenticator apps accept the key with or without the spaces.
      $("totp-secret").textContent = setup.secretCode.replace(/(.{4})(?=.)/g, "$1 ");
      if (/^otpauth:\/\/totp\//.test(setup.otpauthUri)) {
        var link = $("otpauth-link");
        link.href = setup.otpauthUri;
        link.hidden = false;
      }
    });
    var code = $("setup-code");
    // After verifySoftwareToken succeeds its session answers MFA_SETUP; a retry skips it.
    var verified = false;
    onSubmit($("mfa-setup-form"), async function () {
      if (!verified) {
        var value = codeFrom(code);
        if (!value) return refuse(code, "ENTER_CODE");
        clearMessages();
        try {
          conv.session = (await gql(VERIFY, { input: { userCode: value, session: conv.session } }))
            .verifySoftwareToken.session;
          verified = true;
        } catch (err) {
          return stepFailed(err, [code]);
        }
      }
      await answer({}, [code]);
    });
  }

  function codeStep(templateId, response, fill) {
    openStep(templateId, "Sign in", fill);
    var code = $("mfa-code");
    onSubmit($("code-form"), async function () {
      var value = codeFrom(code);
      if (!value) return refuse(code, "ENTER_CODE");
      clearMessages();
      var responses = {};
      responses[response] = value;
      await answer(responses, [code]);
    });
  }

  function selectMfaStep(params) {
    var factors = jsonList(params.MFAS_CAN_CHOOSE).filter(function (f) { return FACTOR_LABELS[f]; });
    if (!factors.length) return restart("UNSUPPORTED_CHALLENGE");
    var options = [];
    openStep("tpl-select-mfa", "Sign in", function () {
      var box = $("mfa-options");
      factors.forEach(function (factor, i) {
        var choice = document.createElement("div");
        choice.className = "choice";
        var input = document.createElement("input");
        input.type = "radio";
        input.name = "factor";
        input.id = "factor-" + i;
        input.value = factor;
        input.checked = i === 0;
        var label = document.createElement("label");
        label.htmlFor = input.id;
        label.textContent = FACTOR_LABELS[factor];
        choice.appendChild(input);
        choice.appendChild(label);
        box.appendChild(choice);
        options.push(input);
      });
    });
    onSubmit($("select-mfa-form"), async function () {
      var chosen = options.filter(function (o) { return o.checked; })[0];
      if (!chosen) return refuse(options[0], "CHOOSE_FACTOR");
      clearMessages();
      await answer({ ANSWER: chosen.value }, [chosen]);
    });
  }

  var STEPS = {
    NEW_PASSWORD_REQUIRED: newPasswordStep,
    MFA_SETUP: mfaSetupStep,
    SOFTWARE_TOKEN_MFA: function () { codeStep("tpl-totp", "SOFTWARE_TOKEN_MFA_CODE"); },
    EMAIL_OTP: function (params) {
      codeStep("tpl-email-otp", "EMAIL_OTP_CODE", function () {
        // Already masked by the gateway (a***@e***.com).
        $("code-destination").textContent = params.CODE_DELIVERY_DESTINATION || MESSAGES.YOUR_EMAIL;
      });
    },
    SELECT_MFA_TYPE: selectMfaStep
  };

  // ── forgot password ───────────────────────────────────────────────────────────────────
  // forgotPassword answers every username alike (a masked destination, real or made up), so
  // the page says the same to everyone and never hints whether an account exists.

  async function requestCode(name) {
    var data = await gql(FORGOT, { input: { clientId: clientId, username: name } });
    return data.forgotPassword.destination || MESSAGES.YOUR_EMAIL;
  }

  function forgotStep(name) {
    conv = null;
    clearMessages();
    openStep("tpl-forgot", "Reset your password", function () { $("forgot-username").value = name; });
    var field = $("forgot-username");
    onSubmit($("forgot-form"), async function () {
      var value = field.value.trim();
      if (!value) return refuse(field, "ENTER_USERNAME");
      clearMessages();
      var destination;
      try {
        destination = await requestCode(value);
      } catch (err) {
        showError(err, "forgot");
        field.focus();
        return;
      }
      resetStep(value, destination);
    });
  }

  function resetStep(name, destination) {
    openStep("tpl-reset", "Reset your password", function () {
      $("reset-destination").textContent = destination;
    });
    var code = $("reset-code"), pw = $("reset-password"), again = $("reset-password-confirm");
    onSubmit($("reset-form"), async function () {
      var value = codeFrom(code);
      if (!value) return refuse(code, "ENTER_CODE");
      if (!pw.value) return refuse(pw, "ENTER_NEW_PASSWORD");
      if (again.value !== pw.value) return refuse(again, "PASSWORDS_DIFFER");
      clearMessages();
      try {
        await gql(CONFIRM_FORGOT, { input: { clientId: clientId, username: name, code: value, password: pw.value } });
      } catch (err) {
        var failed = codeOf(err);
        showError(err, "forgot");
        if (failed === "INVALID_PASSWORD") wrong([pw, again]);
        else if (failed === "CODE_MISMATCH" || failed === "EXPIRED_CODE") wrong([code]);
        else code.focus();
        return;
      }
      showSignedOut(false);
      username.value = name;
      showStatus(MESSAGES.PASSWORD_CHANGED);
      password.focus();
    });
    var resend = stepBox.querySelector("[data-action=resend]");
    resend.addEventListener("click", async function () {
      busy(resend, true);
      try {
        $("reset-destination").textContent = await requestCode(name);
        showStatus(MESSAGES.CODE_RESENT);
      } catch (err) {
        showError(err, "forgot");
      } finally {
        busy(resend, false);
      }
      code.focus();
    });
  }

  var forgot = $("forgot");
  if (forgot) forgot.addEventListener("click", function () { forgotStep(username.value.trim()); });

  // ── signed in ─────────────────────────────────────────────────────────────────────────

  $("refresh").addEventListener("click", async function () {
    try {
      var data = await gql(REFRESH, { input: { clientId: clientId } });
      accept(data.refresh);
      await showSession(false);
      showStatus(MESSAGES.TOKENS_REFRESHED);
    } catch (err) {
      showError(err);
      showSignedOut(true);
    }
  });

  async function signOut(everywhere) {
    try {
      if (everywhere) await gql("mutation { globalSignOut }", {}, accessToken);
      else await gql("mutation Revoke($input: RevokeInput!) { revoke(input: $input) }", { input: { clientId: clientId } });
      showSignedOut(true);
      showStatus(everywhere ? MESSAGES.SIGNED_OUT_EVERYWHERE : MESSAGES.SIGNED_OUT);
    } catch (err) {
      showError(err);
    }
  }
  $("sign-out").addEventListener("click", function () { signOut(false); });
  $("sign-out-everywhere").addEventListener("click", function () { signOut(true); });

  restore();
})();
`;
