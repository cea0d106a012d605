/*
 * Account page for cognito-gateway.
 *
 * Plain script, no build step, no framework, no inline code: the page runs under a strict
 * Content-Security-Policy (script-src 'self'; style-src 'self').
 *
 * Browser-session mode (backend-for-frontend): the gateway keeps the tokens and gives the browser
 * HttpOnly cookies only, so no token is ever readable here — not in variables, web storage,
 * document.cookie or any response body. A reload keeps the person signed in; the page refreshes
 * the session silently before the access token expires; a logout in another tab shows here on
 * the next call.
 *
 * Transport: every call to the gateway goes through `api(method, path, options)` below — it sends
 * the cookies, adds `X-CSRF: 1` to unsafe requests, parses the error envelope, and signs the page
 * out when the gateway says the session is over. Use it for new forms too.
 */
(function () {
  "use strict";

  var metaBase = document.querySelector('meta[name="gateway-base-path"]');
  var BASE_PATH = ((metaBase && metaBase.getAttribute("content")) || "/auth").replace(/\/+$/, "");

  /** What the page knows of the session — nothing token-like: { email, expiresAt } or null. */
  var session = null;
  /** Timer of the next silent refresh. */
  var refreshTimer = null;
  /** Refresh this many seconds before the access token expires. */
  var REFRESH_EARLY_SECONDS = 60;
  var UNSAFE = { POST: true, PUT: true, PATCH: true, DELETE: true };

  var FIELD_LABELS = {
    email: "Email",
    password: "Password",
    code: "Confirmation code",
    attributes: "Attributes",
    refreshToken: "Session",
    username: "Session",
    currentPassword: "Current password",
    newPassword: "New password",
    mfaType: "Method",
  };

  function byId(id) {
    var element = document.getElementById(id);
    if (!element) throw new Error("Missing element #" + id);
    return element;
  }

  var ui = {
    intro: byId("intro"),
    signedOut: byId("signed-out"),
    account: byId("account-section"),
    accountHeading: byId("account-heading"),
    signup: {
      form: byId("signup-form"),
      email: byId("signup-email"),
      password: byId("signup-password"),
      error: byId("signup-error"),
      status: byId("signup-status"),
    },
    confirm: {
      form: byId("confirm-form"),
      email: byId("confirm-email"),
      code: byId("confirm-code"),
      resend: byId("resend-button"),
      error: byId("confirm-error"),
      status: byId("confirm-status"),
    },
    login: {
      form: byId("login-form"),
      email: byId("login-email"),
      password: byId("login-password"),
      error: byId("login-error"),
      status: byId("login-status"),
    },
    accountBox: {
      form: byId("account-section"),
      refresh: byId("refresh-button"),
      logout: byId("logout-button"),
      error: byId("account-error"),
      status: byId("account-status"),
    },
    claims: {
      email: byId("claim-email"),
      username: byId("claim-username"),
      sub: byId("claim-sub"),
      scope: byId("claim-scope"),
      groups: byId("claim-groups"),
      expires: byId("claim-expires"),
    },
  };

  // ---------------------------------------------------------------- HTTP

  /**
   * The one way this page calls the gateway. `path` is relative to the base path ("/me",
   * "/session/login"); options: { body } (sent as JSON). The session cookies go with every call
   * (same origin only) and unsafe methods carry `X-CSRF: 1`, which the gateway requires of every
   * cookie-authenticated state change. Never throws: resolves to
   * { ok, status, data, error: {code, message, details?} | null, retryAfter: seconds | null }.
   * A 401 invalid_token while signed in means the session ended elsewhere (another tab logged out,
   * the session expired): the page shows the signed-out view.
   */
  function api(method, path, options) {
    return send(method, path, options || {}).then(function (result) {
      if (session && result.error && result.error.code === "invalid_token") sessionEnded(result);
      return result;
    });
  }

  function send(method, path, opts) {
    var headers = { Accept: "application/json" };
    var init = { method: method, headers: headers, credentials: "same-origin", cache: "no-store" };
    if (UNSAFE[method]) headers["X-CSRF"] = "1";
    if (opts.body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(opts.body);
    }

    return fetch(BASE_PATH + path, init).then(
      function (response) {
        var retryAfter = parseRetryAfter(response.headers.get("Retry-After"));
        if (response.status === 204) {
          return { ok: true, status: 204, data: null, error: null, retryAfter: retryAfter };
        }
        return response.text().then(function (text) {
          var data = null;
          try {
            data = text ? JSON.parse(text) : null;
          } catch (_ignored) {
            data = null;
          }
          var error = null;
          if (!response.ok) {
            error =
              data && data.error && typeof data.error.code === "string"
                ? data.error
                : { code: response.status >= 500 ? "internal_error" : "unexpected", message: "" };
          }
          return {
            ok: response.ok,
            status: response.status,
            data: response.ok ? data : null,
            error: error,
            retryAfter: retryAfter,
          };
        });
      },
      function () {
        return {
          ok: false,
          status: 0,
          data: null,
          error: { code: "network", message: "" },
          retryAfter: null,
        };
      },
    );
  }

  /** Retry-After is either delta-seconds or an HTTP date; answers whole seconds, or null. */
  function parseRetryAfter(value) {
    if (!value) return null;
    var trimmed = value.trim();
    if (/^\d+$/.test(trimmed)) return parseInt(trimmed, 10);
    var date = Date.parse(trimmed);
    if (isNaN(date)) return null;
    return Math.max(0, Math.ceil((date - Date.now()) / 1000));
  }

  // ---------------------------------------------------------------- messages

  function waitText(seconds) {
    if (seconds === null || seconds === undefined) return "Please wait a moment and try again.";
    if (seconds <= 1) return "Please wait a second and try again.";
    if (seconds < 90) return "Please wait " + seconds + " seconds and try again.";
    return "Please wait about " + Math.ceil(seconds / 60) + " minutes and try again.";
  }

  /** "Password: must be at least 8 characters, needs a symbol." — one sentence per field. */
  function detailsText(details) {
    if (!Array.isArray(details) || details.length === 0) return "";
    var order = [];
    var problems = Object.create(null);
    details.forEach(function (detail) {
      var field = detail && typeof detail.field === "string" ? detail.field : "";
      var label = FIELD_LABELS[field.split(".")[0]] || field || "Request";
      var problem = detail && typeof detail.problem === "string" ? detail.problem : "is not valid";
      if (!problems[label]) {
        problems[label] = [];
        order.push(label);
      }
      if (problems[label].indexOf(problem) < 0) problems[label].push(problem);
    });
    return order
      .map(function (label) {
        return " " + label + ": " + problems[label].join(", ") + ".";
      })
      .join("");
  }

  /** Friendly words for an error result. */
  function describe(result) {
    var error = result.error || { code: "unexpected" };
    switch (error.code) {
      case "network":
        return "Cannot reach the server. Check your connection and try again.";
      case "invalid_request":
        return "Please check what you entered." + detailsText(error.details);
      case "invalid_code":
        return "That code is not valid. It may be mistyped, expired or already used. Check it, or use “Resend code” to get a new one.";
      case "invalid_credentials":
        return "The email or password is not correct.";
      case "invalid_token":
        return "Your session has ended. Please log in again.";
      case "insufficient_scope":
        return "Your account is not allowed to do this.";
      case "csrf_failed":
        return "This page is out of date. Reload it and try again.";
      case "too_many_requests":
        return "Too many attempts. " + waitText(result.retryAfter);
      case "upstream_unavailable":
        return "The sign-in service is unavailable right now. " + waitText(result.retryAfter);
      case "payload_too_large":
        return "What you entered is too long.";
      case "unsupported_media_type":
      case "internal_error":
        return "Something went wrong on our side. Please try again.";
      default:
        return (
          "Something went wrong (error " + (result.status || "unknown") + "). Please try again."
        );
    }
  }

  function clearMessages(box) {
    box.error.textContent = "";
    box.status.textContent = "";
    Array.prototype.forEach.call(
      box.form.querySelectorAll('[aria-invalid="true"]'),
      function (input) {
        input.removeAttribute("aria-invalid");
      },
    );
  }

  function showError(box, text) {
    box.status.textContent = "";
    box.error.textContent = text;
  }

  function showStatus(box, text) {
    box.error.textContent = "";
    box.status.textContent = text;
  }

  /** Shows a failed call next to its form and marks the fields the server named. */
  function showResultError(box, result, fieldInputs) {
    var details = result.error && result.error.details;
    if (Array.isArray(details) && fieldInputs) {
      var first = null;
      details.forEach(function (detail) {
        var field = detail && typeof detail.field === "string" ? detail.field.split(".")[0] : "";
        var input = fieldInputs[field];
        if (input) {
          input.setAttribute("aria-invalid", "true");
          if (!first) first = input;
        }
      });
      if (first) first.focus();
    }
    showError(box, describe(result));
  }

  function markInvalid(box, input, text) {
    input.setAttribute("aria-invalid", "true");
    input.focus();
    showError(box, text);
    return false;
  }

  // ---------------------------------------------------------------- validation

  function checkEmail(box, input) {
    var value = input.value.trim();
    input.value = value;
    if (!value) return markInvalid(box, input, "Enter your email address.");
    if (value.length > 254 || !/^[^\s@]+@[^\s@]+$/.test(value)) {
      return markInvalid(box, input, "Enter a valid email address, like name@example.com.");
    }
    return true;
  }

  function checkPassword(box, input) {
    if (!input.value) return markInvalid(box, input, "Enter your password.");
    return true;
  }

  function checkCode(box, input) {
    var value = input.value.replace(/[\s-]/g, "");
    input.value = value;
    if (!value) return markInvalid(box, input, "Enter the confirmation code from the email.");
    if (!/^\d{1,16}$/.test(value)) {
      return markInvalid(box, input, "The confirmation code is made of digits only.");
    }
    return true;
  }

  // ---------------------------------------------------------------- busy state

  /** Disables every button of a box while `work` runs; resolves with work's result. */
  function busy(box, work) {
    var buttons = box.form.querySelectorAll("button");
    box.form.setAttribute("aria-busy", "true");
    Array.prototype.forEach.call(buttons, function (button) {
      button.disabled = true;
    });
    function done() {
      box.form.removeAttribute("aria-busy");
      Array.prototype.forEach.call(buttons, function (button) {
        button.disabled = false;
      });
    }
    return work().then(
      function (value) {
        done();
        return value;
      },
      function (error) {
        done();
        throw error;
      },
    );
  }

  // ---------------------------------------------------------------- views

  function setText(element, value) {
    element.textContent = "";
    if (value === undefined || value === null || value === "") {
      var none = document.createElement("span");
      none.className = "none";
      none.textContent = "None";
      element.appendChild(none);
    } else {
      element.textContent = String(value);
    }
  }

  function renderClaims(claims) {
    // Access tokens usually carry no email claim; the session's user (from the id token) does.
    setText(ui.claims.email, claims.email || (session && session.email));
    setText(ui.claims.username, claims.username);
    setText(ui.claims.sub, claims.sub);
    setText(ui.claims.scope, Array.isArray(claims.scope) ? claims.scope.join(" ") : claims.scope);

    var groups = Array.isArray(claims.groups) ? claims.groups : [];
    ui.claims.groups.textContent = "";
    if (groups.length === 0) {
      setText(ui.claims.groups, null);
    } else {
      var list = document.createElement("ul");
      list.className = "chips";
      groups.forEach(function (group) {
        var item = document.createElement("li");
        item.className = "chip";
        item.textContent = String(group);
        list.appendChild(item);
      });
      ui.claims.groups.appendChild(list);
    }
    setText(
      ui.claims.expires,
      session && session.expiresAt ? new Date(session.expiresAt).toLocaleTimeString() : null,
    );
  }

  function showSignedIn(claims) {
    renderClaims(claims);
    clearMessages(ui.signup);
    clearMessages(ui.confirm);
    clearMessages(ui.login);
    ui.intro.hidden = true;
    ui.signedOut.hidden = true;
    ui.account.hidden = false;
  }

  function showSignedOut() {
    session = null;
    if (refreshTimer !== null) clearTimeout(refreshTimer);
    refreshTimer = null;
    renderClaims({});
    ui.account.hidden = true;
    ui.intro.hidden = false;
    ui.signedOut.hidden = false;
    clearMessages(ui.accountBox);
  }

  function clearPasswords() {
    ui.signup.password.value = "";
    ui.login.password.value = "";
  }

  function expiresAt(expiresIn) {
    return typeof expiresIn === "number" ? Date.now() + expiresIn * 1000 : null;
  }

  /** Fetches /me (the session cookie authenticates it); resolves to the API result. */
  function loadMe() {
    return api("GET", "/me");
  }

  /** Shows the signed-out view after the server said the session is over. */
  function sessionEnded(result) {
    showSignedOut();
    showError(ui.login, describe(result));
  }

  /** Starts (or moves) the silent refresh, shortly before the access token expires. */
  function scheduleRefresh(expiresIn) {
    if (refreshTimer !== null) clearTimeout(refreshTimer);
    refreshTimer = null;
    if (typeof expiresIn !== "number" || !session) return;
    session.expiresAt = expiresAt(expiresIn);
    var delay = Math.max(5, expiresIn - REFRESH_EARLY_SECONDS) * 1000;
    refreshTimer = setTimeout(silentRefresh, delay);
  }

  function silentRefresh() {
    refreshTimer = null;
    refreshSession().then(function (outcome) {
      if (outcome.ok) renderClaims(outcome.me.data || {});
      // The gateway briefly unavailable: try again soon (a 401 has already signed the page out).
      else if (session && refreshTimer === null) refreshTimer = setTimeout(silentRefresh, 30000);
    });
  }

  /**
   * Refreshes the session (new cookies), then reloads the claims. Resolves to
   * { ok, failed: result | null, me: result | null }.
   */
  function refreshSession() {
    return api("POST", "/session/refresh").then(function (refresh) {
      if (!refresh.ok || !session) return { ok: false, failed: refresh, me: null };
      scheduleRefresh(refresh.data && refresh.data.expiresIn);
      return loadMe().then(function (me) {
        return { ok: me.ok, failed: me.ok ? null : me, me: me };
      });
    });
  }

  /**
   * On load: the cookies may hold a session (a reload, a new tab). GET /session tells; when its
   * access token has expired (the tab slept), one refresh is tried before showing the forms.
   */
  function resumeSession() {
    return send("GET", "/session", {})
      .then(function (info) {
        if (info.ok || info.status !== 401) return info;
        return send("POST", "/session/refresh", {}).then(function (refresh) {
          return refresh.ok ? send("GET", "/session", {}) : info;
        });
      })
      .then(function (info) {
        if (!info.ok) return;
        var data = info.data || {};
        var user = data.user || {};
        session = { email: user.email || null, expiresAt: null };
        scheduleRefresh(data.expiresIn);
        return loadMe().then(function (me) {
          if (!me.ok || !session) return;
          showSignedIn(me.data || {});
        });
      });
  }

  // ---------------------------------------------------------------- actions

  function onSignUp(event) {
    event.preventDefault();
    var box = ui.signup;
    clearMessages(box);
    if (!checkEmail(box, box.email) || !checkPassword(box, box.password)) return;
    var email = box.email.value;
    busy(box, function () {
      return api("POST", "/register", {
        body: { email: email, password: box.password.value },
      });
    }).then(function (result) {
      if (!result.ok) {
        showResultError(box, result, { email: box.email, password: box.password });
        return;
      }
      // Kept in memory only, and sent with the confirmation: the account must end up with the
      // password this person chose, never one a stranger registered first (pre-hijacking).
      signUp = { email: email, password: box.password.value };
      box.password.value = "";
      showStatus(box, "Check your email for a confirmation code.");
      clearMessages(ui.confirm);
      ui.confirm.email.value = email;
      ui.login.email.value = email;
      ui.confirm.code.focus();
    });
  }

  /** The address and password of this page's last sign-up, until it is confirmed. */
  var signUp = null;

  function onConfirm(event) {
    event.preventDefault();
    var box = ui.confirm;
    clearMessages(box);
    if (!checkEmail(box, box.email) || !checkCode(box, box.code)) return;
    var email = box.email.value;
    busy(box, function () {
      var body = { email: email, code: box.code.value };
      // The password chosen at sign-up proves this confirmer chose it (pre-hijacking defence).
      if (signUp && signUp.email === email) body.password = signUp.password;
      return api("POST", "/confirm", { body: body });
    }).then(function (result) {
      if (!result.ok) {
        showResultError(box, result, { email: box.email, code: box.code });
        if (result.error && result.error.code === "invalid_code") {
          box.code.setAttribute("aria-invalid", "true");
        }
        return;
      }
      box.code.value = "";
      signUp = null;
      showStatus(box, "Your account is confirmed. You can log in now.");
      ui.login.email.value = email;
      ui.login.password.focus();
    });
  }

  function onResend() {
    var box = ui.confirm;
    clearMessages(box);
    if (!checkEmail(box, box.email)) return;
    var email = box.email.value;
    busy(box, function () {
      return api("POST", "/confirm/resend", { body: { email: email } });
    }).then(function (result) {
      if (!result.ok) {
        showResultError(box, result, { email: box.email });
        return;
      }
      showStatus(box, "If that address is waiting for confirmation, a new code is on its way.");
      box.code.value = "";
      box.code.focus();
    });
  }

  function onLogIn(event) {
    event.preventDefault();
    var box = ui.login;
    clearMessages(box);
    if (!checkEmail(box, box.email) || !checkPassword(box, box.password)) return;
    busy(box, function () {
      return api("POST", "/session/login", {
        body: { email: box.email.value, password: box.password.value },
      }).then(function (result) {
        if (!result.ok) return { login: result };
        if (result.data && result.data.challenge) return { login: result, challenge: result.data };
        var data = result.data || {};
        var user = data.user || {};
        session = {
          email: user.email || box.email.value.trim().toLowerCase(),
          expiresAt: null,
        };
        scheduleRefresh(data.expiresIn);
        return loadMe().then(function (me) {
          return { login: result, me: me };
        });
      });
    }).then(function (outcome) {
      if (!outcome.login.ok) {
        showResultError(box, outcome.login, { email: box.email, password: box.password });
        return;
      }
      clearPasswords();
      if (outcome.challenge) {
        showChallenge(outcome.challenge, box.email.value.trim().toLowerCase());
        return;
      }
      if (!outcome.me.ok) {
        showSignedOut();
        showError(box, describe(outcome.me));
        return;
      }
      showSignedIn(outcome.me.data || {});
      showStatus(ui.accountBox, "You are logged in.");
      ui.accountHeading.focus();
    });
  }

  function onRefresh() {
    var box = ui.accountBox;
    clearMessages(box);
    busy(box, refreshSession).then(function (outcome) {
      if (!session) return; // api() has shown the signed-out view
      if (!outcome.ok) {
        showError(box, describe(outcome.failed || {}));
        return;
      }
      renderClaims(outcome.me.data || {});
      showStatus(box, "Your session is refreshed.");
    });
  }

  function onLogOut() {
    var box = ui.accountBox;
    clearMessages(box);
    busy(box, function () {
      return send("POST", "/session/logout", {});
    }).then(function (result) {
      if (result.ok) {
        showSignedOut();
        clearMessages(ui.login);
        showStatus(ui.login, "You have logged out.");
        ui.login.email.focus();
        return;
      }
      showError(box, describe(result));
    });
  }

  /** Back in a tab: a cheap check, so a logout in another tab shows at once. */
  function onVisible() {
    if (document.visibilityState === "visible" && session) void api("GET", "/session");
  }

  // ---------------------------------------------------------------- sign-in challenges and MFA
  // Cognito may ask for more than a password: a new password (invited users), a code (app, SMS,
  // e-mail), a choice of method, or enrolling an authenticator app. The gateway's `session`
  // handle is single use, so a wrong code sends the person back to the password step.

  var CHALLENGE_PROMPTS = {
    NEW_PASSWORD_REQUIRED: "Choose a new password to finish signing in.",
    SOFTWARE_TOKEN_MFA: "Enter the 6-digit code from your authenticator app.",
    SMS_MFA: "Enter the code we sent by text message to ",
    EMAIL_OTP: "Enter the code we sent by email to ",
    SELECT_MFA_TYPE: "Choose how to receive your sign-in code.",
    MFA_SETUP:
      "Two-step sign-in is required. Scan this QR code with an authenticator app, then enter the code it shows.",
  };
  var MFA_LABELS = {
    SOFTWARE_TOKEN_MFA: "Authenticator app",
    SMS_MFA: "Text message",
    EMAIL_OTP: "Email",
  };

  var mfa = {
    section: byId("challenge-section"),
    heading: byId("challenge-heading"),
    form: byId("challenge-form"),
    prompt: byId("challenge-prompt"),
    qr: byId("challenge-qr"),
    secret: byId("challenge-secret"),
    codeField: byId("challenge-code-field"),
    code: byId("challenge-code"),
    passwordField: byId("challenge-password-field"),
    newPassword: byId("challenge-new-password"),
    options: byId("challenge-options"),
    cancel: byId("challenge-cancel"),
    error: byId("challenge-error"),
    status: byId("challenge-status"),
  };
  var totp = {
    form: byId("totp-form"),
    start: byId("totp-start"),
    enrol: byId("totp-enrol"),
    qr: byId("totp-qr"),
    secret: byId("totp-secret"),
    code: byId("totp-code"),
    password: byId("totp-disable-password"),
    disable: byId("totp-disable"),
    error: byId("totp-error"),
    status: byId("totp-status"),
  };
  var pendingChallenge = null;

  /** Draws an otpauth:// URI as a QR code (qrcode-generator, served from this origin) into `box`. */
  function drawQr(box, uri, secretBox, secret) {
    box.textContent = "";
    if (typeof window.qrcode === "function") {
      var qr = window.qrcode(0, "M");
      qr.addData(uri);
      qr.make();
      var size = qr.getModuleCount();
      var scale = 4;
      var canvas = document.createElement("canvas");
      canvas.width = canvas.height = (size + 8) * scale;
      canvas.setAttribute("role", "img");
      canvas.setAttribute("aria-label", "QR code for your authenticator app");
      var context = canvas.getContext("2d");
      context.fillStyle = "#fff";
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.fillStyle = "#000";
      for (var row = 0; row < size; row += 1) {
        for (var col = 0; col < size; col += 1) {
          if (qr.isDark(row, col))
            context.fillRect((col + 4) * scale, (row + 4) * scale, scale, scale);
        }
      }
      box.appendChild(canvas);
    }
    box.hidden = false;
    secretBox.textContent = "Or type this key: " + secret;
    secretBox.hidden = false;
  }

  /** Shows a challenge the gateway answered instead of tokens. */
  function showChallenge(challenge, email) {
    pendingChallenge = { data: challenge, email: email };
    clearMessages(mfa);
    var name = challenge.challenge;
    var prompt = CHALLENGE_PROMPTS[name] || "Continue signing in.";
    if (challenge.destination) prompt += challenge.destination + ".";
    mfa.prompt.textContent = prompt;
    mfa.qr.hidden = mfa.secret.hidden = true;
    mfa.codeField.hidden = name === "NEW_PASSWORD_REQUIRED" || name === "SELECT_MFA_TYPE";
    mfa.passwordField.hidden = name !== "NEW_PASSWORD_REQUIRED";
    mfa.options.hidden = name !== "SELECT_MFA_TYPE";
    mfa.options.textContent = "";
    if (name === "SELECT_MFA_TYPE") {
      (challenge.options || []).forEach(function (option, index) {
        var label = document.createElement("label");
        var input = document.createElement("input");
        input.type = "radio";
        input.name = "challenge-mfa-type";
        input.value = option;
        input.checked = index === 0;
        label.appendChild(input);
        label.appendChild(document.createTextNode(" " + (MFA_LABELS[option] || option)));
        mfa.options.appendChild(label);
      });
    }
    if (name === "MFA_SETUP") drawQr(mfa.qr, challenge.otpauthUri, mfa.secret, challenge.secret);
    mfa.code.value = "";
    mfa.newPassword.value = "";
    ui.signedOut.hidden = true;
    mfa.section.hidden = false;
    mfa.heading.focus();
  }

  function endChallenge(text) {
    pendingChallenge = null;
    mfa.section.hidden = true;
    ui.signedOut.hidden = false;
    if (text) showError(ui.login, text);
    ui.login.password.focus();
  }

  /** The answer body for the pending challenge, or null after marking what is missing. */
  function challengeAnswer() {
    var name = pendingChallenge.data.challenge;
    var body = { session: pendingChallenge.data.session };
    if (name === "NEW_PASSWORD_REQUIRED") {
      if (!mfa.newPassword.value)
        return markInvalid(mfa, mfa.newPassword, "Enter a new password.") && null;
      body.newPassword = mfa.newPassword.value;
    } else if (name === "SELECT_MFA_TYPE") {
      var chosen = mfa.options.querySelector("input:checked");
      body.mfaType = chosen ? chosen.value : "";
    } else {
      var code = mfa.code.value.replace(/\s/g, "");
      if (!/^\d{6,8}$/.test(code))
        return markInvalid(mfa, mfa.code, "Enter the code: 6 to 8 digits.") && null;
      body.code = code;
    }
    return body;
  }

  /** Completes a sign-in a challenge answer finished (the gateway has set the session cookies). */
  function finishSignIn(result, email) {
    var data = result.data || {};
    session = { email: (data.user && data.user.email) || email, expiresAt: null };
    scheduleRefresh(data.expiresIn);
    return loadMe().then(function (me) {
      pendingChallenge = null;
      mfa.section.hidden = true;
      if (!me.ok) {
        session = null;
        ui.signedOut.hidden = false;
        showError(ui.login, describe(me));
        return;
      }
      showSignedIn(me.data || {});
      showStatus(ui.accountBox, "You are logged in.");
      ui.accountHeading.focus();
    });
  }

  function onChallenge(event) {
    event.preventDefault();
    clearMessages(mfa);
    if (!pendingChallenge) return endChallenge();
    var body = challengeAnswer();
    if (!body) return;
    var email = pendingChallenge.email;
    busy(mfa, function () {
      return api("POST", "/session/login/challenge", { body: body });
    }).then(function (result) {
      if (result.ok && result.data && result.data.challenge)
        return showChallenge(result.data, email);
      if (result.ok) return finishSignIn(result, email);
      if (result.status === 400) {
        return showResultError(mfa, result, { newPassword: mfa.newPassword, mfaType: mfa.options });
      }
      // 401: a wrong code, or the handle expired or was used: start again with the password.
      endChallenge(
        result.status === 401
          ? "That code did not work, or the sign-in timed out. Enter your password again."
          : describe(result),
      );
    });
  }

  /** Signed-in: start enrolling an authenticator app. */
  function onTotpStart() {
    clearMessages(totp);
    if (!session) return sessionEnded({ error: { code: "invalid_token" } });
    busy(totp, function () {
      return api("POST", "/mfa/totp", { body: {} });
    }).then(function (result) {
      if (!result.ok) return showError(totp, describe(result));
      drawQr(totp.qr, result.data.otpauthUri, totp.secret, result.data.secret);
      totp.enrol.hidden = false;
      totp.code.value = "";
      totp.code.focus();
      showStatus(totp, "Scan the QR code, then enter the code your app shows.");
    });
  }

  function onTotpVerify(event) {
    event.preventDefault();
    clearMessages(totp);
    if (!session) return sessionEnded({ error: { code: "invalid_token" } });
    var code = totp.code.value.replace(/\s/g, "");
    if (!/^\d{6}$/.test(code)) return markInvalid(totp, totp.code, "Enter the 6-digit code.");
    busy(totp, function () {
      return api("POST", "/mfa/totp/verify", { body: { code: code } });
    }).then(function (result) {
      if (!result.ok) return showResultError(totp, result, { code: totp.code });
      totp.enrol.hidden = true;
      totp.qr.hidden = totp.secret.hidden = true;
      showStatus(
        totp,
        "Two-step sign-in is on. Next time you sign in, enter a code from your app.",
      );
    });
  }

  function onTotpDisable() {
    clearMessages(totp);
    if (!session) return sessionEnded({ error: { code: "invalid_token" } });
    if (!totp.password.value) return markInvalid(totp, totp.password, "Enter your password.");
    busy(totp, function () {
      return api("POST", "/mfa/disable", { body: { password: totp.password.value } });
    }).then(function (result) {
      totp.password.value = "";
      if (!result.ok) return showResultError(totp, result, { password: totp.password });
      showStatus(totp, "Two-step sign-in is off.");
    });
  }

  mfa.form.addEventListener("submit", onChallenge);
  mfa.cancel.addEventListener("click", function () {
    endChallenge();
  });
  totp.start.addEventListener("click", onTotpStart);
  totp.form.addEventListener("submit", onTotpVerify);
  totp.disable.addEventListener("click", onTotpDisable);

  // ---------------------------------------------------------------- account recovery and management

  var recovery = {
    forgotButton: byId("forgot-button"),
    section: byId("recover-section"),
    heading: byId("recover-heading"),
    forgot: {
      form: byId("forgot-form"),
      email: byId("forgot-email"),
      error: byId("forgot-error"),
      status: byId("forgot-status"),
    },
    reset: {
      form: byId("reset-form"),
      code: byId("reset-code"),
      password: byId("reset-password"),
      error: byId("reset-error"),
      status: byId("reset-status"),
    },
    change: {
      form: byId("change-form"),
      current: byId("change-current"),
      next: byId("change-new"),
      error: byId("change-error"),
      status: byId("change-status"),
    },
    remove: {
      form: byId("delete-form"),
      start: byId("delete-start"),
      startActions: byId("delete-start-actions"),
      confirm: byId("delete-confirm"),
      cancel: byId("delete-cancel"),
      password: byId("delete-password"),
      error: byId("delete-error"),
      status: byId("delete-status"),
    },
  };

  /** "Forgot password?": shows the reset card with the address from the login form. */
  function onForgotStart() {
    recovery.section.hidden = false;
    recovery.forgot.email.value = ui.login.email.value.trim();
    clearMessages(recovery.forgot);
    clearMessages(recovery.reset);
    recovery.heading.focus();
  }

  function onSendResetCode(event) {
    event.preventDefault();
    var box = recovery.forgot;
    clearMessages(box);
    if (!checkEmail(box, box.email)) return;
    busy(box, function () {
      return api("POST", "/password/forgot", { body: { email: box.email.value } });
    }).then(function (result) {
      if (!result.ok) {
        showResultError(box, result, { email: box.email });
        return;
      }
      showStatus(box, "If that address has an account, a reset code is on its way to it.");
      recovery.reset.code.focus();
    });
  }

  function onResetPassword(event) {
    event.preventDefault();
    var box = recovery.reset;
    clearMessages(box);
    if (!checkEmail(recovery.forgot, recovery.forgot.email)) return;
    if (!checkCode(box, box.code) || !checkPassword(box, box.password)) return;
    var email = recovery.forgot.email.value;
    busy(box, function () {
      return api("POST", "/password/reset", {
        body: { email: email, code: box.code.value, password: box.password.value },
      });
    }).then(function (result) {
      if (!result.ok) {
        if (result.error && result.error.code === "invalid_code") {
          box.code.setAttribute("aria-invalid", "true");
          showError(
            box,
            "That code is not valid. It may be mistyped, expired or already used. Check it, or use “Send reset code” to get a new one.",
          );
          return;
        }
        showResultError(box, result, { code: box.code, password: box.password });
        return;
      }
      box.code.value = "";
      box.password.value = "";
      showStatus(box, "Your password is reset. Log in with the new password.");
      ui.login.email.value = email;
      ui.login.password.focus();
    });
  }

  /** Takes over the fresh session a password change answers, or signs out when there is none. */
  function adoptSession(result, email) {
    if (result.status === 204 || !result.data) {
      showSignedOut();
      showStatus(ui.login, "Your password is changed. Log in with the new password.");
      ui.login.email.value = email;
      ui.login.password.focus();
      return Promise.resolve();
    }
    // The gateway set fresh session cookies; the answer holds no token.
    var data = result.data;
    session = { email: (data.user && data.user.email) || email, expiresAt: null };
    scheduleRefresh(data.expiresIn);
    return loadMe().then(function (me) {
      if (!me.ok) return sessionEnded(me);
      renderClaims(me.data || {});
      showStatus(
        recovery.change,
        "Your password is changed. Other devices signed in to this account are signed out.",
      );
    });
  }

  function onChangePassword(event) {
    event.preventDefault();
    var box = recovery.change;
    clearMessages(box);
    if (!session) return sessionEnded({ error: { code: "invalid_token" } });
    if (!checkPassword(box, box.current)) return;
    if (!box.next.value) return markInvalid(box, box.next, "Enter a new password.");
    var current = session;
    busy(box, function () {
      return api("POST", "/password/change", {
        body: { currentPassword: box.current.value, newPassword: box.next.value },
      });
    }).then(function (result) {
      if (!result.ok) {
        var code = result.error && result.error.code;
        if (code === "invalid_token") return sessionEnded(result);
        if (code === "invalid_credentials") {
          return markInvalid(box, box.current, "The current password is not correct.");
        }
        showResultError(box, result, { currentPassword: box.current, newPassword: box.next });
        return;
      }
      box.current.value = "";
      box.next.value = "";
      return adoptSession(result, current.email);
    });
  }

  /** The explicit confirmation step: nothing is deleted until the password is entered. */
  function showDeleteConfirm(open) {
    var box = recovery.remove;
    clearMessages(box);
    box.password.value = "";
    box.confirm.hidden = !open;
    box.startActions.hidden = open;
    (open ? box.password : box.start).focus();
  }

  function onDeleteAccount(event) {
    event.preventDefault();
    var box = recovery.remove;
    clearMessages(box);
    if (!session) return sessionEnded({ error: { code: "invalid_token" } });
    if (box.confirm.hidden) return showDeleteConfirm(true);
    if (!checkPassword(box, box.password)) return;
    var current = session;
    busy(box, function () {
      return api("POST", "/account/delete", {
        body: { password: box.password.value },
      });
    }).then(function (result) {
      if (!result.ok) {
        var code = result.error && result.error.code;
        if (code === "invalid_token") return sessionEnded(result);
        if (code === "invalid_credentials") {
          return markInvalid(box, box.password, "The password is not correct.");
        }
        showError(box, describe(result));
        return;
      }
      box.password.value = "";
      box.confirm.hidden = true;
      box.startActions.hidden = false;
      showSignedOut();
      showStatus(ui.login, "Your account is deleted.");
      ui.login.email.focus();
    });
  }

  recovery.forgotButton.addEventListener("click", onForgotStart);
  recovery.forgot.form.addEventListener("submit", onSendResetCode);
  recovery.reset.form.addEventListener("submit", onResetPassword);
  recovery.change.form.addEventListener("submit", onChangePassword);
  recovery.remove.form.addEventListener("submit", onDeleteAccount);
  recovery.remove.start.addEventListener("click", function () {
    showDeleteConfirm(true);
  });
  recovery.remove.cancel.addEventListener("click", function () {
    showDeleteConfirm(false);
  });

  ui.signup.form.addEventListener("submit", onSignUp);
  ui.confirm.form.addEventListener("submit", onConfirm);
  ui.confirm.resend.addEventListener("click", onResend);
  ui.login.form.addEventListener("submit", onLogIn);
  ui.accountBox.refresh.addEventListener("click", onRefresh);
  ui.accountBox.logout.addEventListener("click", onLogOut);
  document.addEventListener("visibilitychange", onVisible);
  resumeSession();
})();
