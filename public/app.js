/*
 * Account page for cognito-gateway.
 *
 * Plain script, no build step, no framework, no inline code: the page runs under a strict
 * Content-Security-Policy (script-src 'self'; style-src 'self'). Tokens live only in the variables
 * of this closure — never in localStorage, sessionStorage or cookies — so closing or reloading the
 * tab ends the session on this device.
 */
(function () {
  "use strict";

  var metaBase = document.querySelector('meta[name="gateway-base-path"]');
  var BASE_PATH = ((metaBase && metaBase.getAttribute("content")) || "/auth").replace(/\/+$/, "");

  /** In-memory session: { email, accessToken, idToken, refreshToken, username, expiresAt } or null. */
  var session = null;

  var FIELD_LABELS = {
    email: "Email",
    password: "Password",
    code: "Confirmation code",
    attributes: "Attributes",
    refreshToken: "Session",
    username: "Session",
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
   * Calls the gateway. Never throws: resolves to
   * { ok, status, data, error: {code, message, details?} | null, retryAfter: seconds | null, network }.
   */
  function callApi(method, path, options) {
    var opts = options || {};
    var headers = { Accept: "application/json" };
    var init = { method: method, headers: headers, credentials: "omit", cache: "no-store" };
    if (opts.body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(opts.body);
    }
    if (opts.token) headers.Authorization = "Bearer " + opts.token;

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
    // Access tokens usually carry no email claim; the address this session logged in with is the
    // same account (the gateway trims and lower-cases addresses too).
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

  /** Fetches /me with the current access token; resolves to the API result. */
  function loadMe() {
    return callApi("GET", "/me", { token: session ? session.accessToken : "" });
  }

  /** Ends the local session after the server said the token is no longer valid. */
  function sessionEnded(result) {
    showSignedOut();
    showError(ui.login, describe(result));
    ui.login.email.focus();
  }

  // ---------------------------------------------------------------- actions

  function onSignUp(event) {
    event.preventDefault();
    var box = ui.signup;
    clearMessages(box);
    if (!checkEmail(box, box.email) || !checkPassword(box, box.password)) return;
    var email = box.email.value;
    busy(box, function () {
      return callApi("POST", "/register", {
        body: { email: email, password: box.password.value },
      });
    }).then(function (result) {
      if (!result.ok) {
        showResultError(box, result, { email: box.email, password: box.password });
        return;
      }
      box.password.value = "";
      showStatus(box, "Check your email for a confirmation code.");
      clearMessages(ui.confirm);
      ui.confirm.email.value = email;
      ui.login.email.value = email;
      ui.confirm.code.focus();
    });
  }

  function onConfirm(event) {
    event.preventDefault();
    var box = ui.confirm;
    clearMessages(box);
    if (!checkEmail(box, box.email) || !checkCode(box, box.code)) return;
    var email = box.email.value;
    busy(box, function () {
      return callApi("POST", "/confirm", { body: { email: email, code: box.code.value } });
    }).then(function (result) {
      if (!result.ok) {
        showResultError(box, result, { email: box.email, code: box.code });
        if (result.error && result.error.code === "invalid_code") {
          box.code.setAttribute("aria-invalid", "true");
        }
        return;
      }
      box.code.value = "";
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
      return callApi("POST", "/confirm/resend", { body: { email: email } });
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
      return callApi("POST", "/login", {
        body: { email: box.email.value, password: box.password.value },
      }).then(function (result) {
        if (!result.ok) return { login: result };
        var tokens = result.data || {};
        session = {
          email: box.email.value.trim().toLowerCase(),
          accessToken: tokens.accessToken,
          idToken: tokens.idToken,
          refreshToken: tokens.refreshToken,
          username: tokens.username,
          expiresAt: expiresAt(tokens.expiresIn),
        };
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
      if (!outcome.me.ok) {
        session = null;
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
    if (!session) return sessionEnded({ error: { code: "invalid_token" } });
    busy(box, function () {
      return callApi("POST", "/refresh", {
        body: { refreshToken: session.refreshToken, username: session.username },
      }).then(function (result) {
        if (!result.ok || !session) return { refresh: result };
        var tokens = result.data || {};
        session.accessToken = tokens.accessToken;
        session.idToken = tokens.idToken;
        session.expiresAt = expiresAt(tokens.expiresIn);
        return loadMe().then(function (me) {
          return { refresh: result, me: me };
        });
      });
    }).then(function (outcome) {
      var failed = !outcome.refresh.ok ? outcome.refresh : !outcome.me.ok ? outcome.me : null;
      if (failed) {
        if (failed.error && failed.error.code === "invalid_token") return sessionEnded(failed);
        showError(box, describe(failed));
        return;
      }
      renderClaims(outcome.me.data || {});
      showStatus(box, "Your session is refreshed.");
    });
  }

  function onLogOut() {
    var box = ui.accountBox;
    clearMessages(box);
    if (!session) return sessionEnded({ error: { code: "invalid_token" } });
    var current = session;
    busy(box, function () {
      return callApi("POST", "/logout", {
        token: current.accessToken,
        body: { refreshToken: current.refreshToken },
      });
    }).then(function (result) {
      // 401 means the server already treats this session as over: the outcome is the same.
      if (result.ok || (result.error && result.error.code === "invalid_token")) {
        showSignedOut();
        clearMessages(ui.login);
        showStatus(ui.login, "You have logged out.");
        ui.login.email.focus();
        return;
      }
      showError(box, describe(result));
    });
  }

  ui.signup.form.addEventListener("submit", onSignUp);
  ui.confirm.form.addEventListener("submit", onConfirm);
  ui.confirm.resend.addEventListener("click", onResend);
  ui.login.form.addEventListener("submit", onLogIn);
  ui.accountBox.refresh.addEventListener("click", onRefresh);
  ui.accountBox.logout.addEventListener("click", onLogOut);
})();
