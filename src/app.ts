import { resolve } from "node:path";
import express, { type Express, type RequestHandler } from "express";
import { z } from "zod";
import { GatewayError } from "./errors";
import { configOf, type Gateway } from "./gateway";
import { createErrorHandler, notFound } from "./http/error-handler";
import { hostGuard, isLoopback, localOnly } from "./http/hosts";
import { methodGuard } from "./http/methods";
import { requestLog } from "./http/request-log";
import { declaredBodyLimit, jsonBody } from "./http/body";
import { normaliseEmail, parseBody, resendBody } from "./http/schemas";
import { corsFor, pageHeaders, securityHeaders } from "./http/security";
import {
  APP_OPTION_KEYS,
  DEFAULT_BASE_PATH,
  type AppOptions,
  type LocalMfaSetter,
} from "./app-options";
import { refuseUnknownKeys } from "./option-rules";
import { PACKAGE_ROOT } from "./package-files";

export { DEFAULT_BASE_PATH, type AppOptions, type LocalMfaSetter } from "./app-options";
import { healthz, readyz } from "./routes/health";

const ROOT = PACKAGE_ROOT;

/**
 * The standalone HTTP app: request ids and access logs, security headers, CORS, health
 * probes, the OpenAPI document, the optional page, the lifecycle router, and the JSON 404/error
 * envelope.
 */
export function createApp(gateway: Gateway, options: AppOptions = {}): Express {
  refuseUnknownKeys(options, APP_OPTION_KEYS);
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false); // answers are no-store: hashing every body buys nothing
  app.set("trust proxy", options.trustProxy ?? false);
  app.use(requestLog(configOf(gateway).logger, gateway.metrics));
  app.use(securityHeaders());
  const cors = corsFor(options.corsOrigins ?? [], configOf(gateway).session?.origins);
  if (cors) app.use(cors);
  // Probes come before the limiter: an orchestrator polling them must never be refused.
  app.get("/healthz", healthz);
  app.get(
    "/readyz",
    readyz({
      keys: gateway.keys,
      reachable: () => gateway.ready(),
      clock: configOf(gateway).clock,
      shared: gateway.shared,
    }),
  );
  const allowedHost = hostGuard(options.hosts ?? { allowedHosts: [], local: false });
  if (allowedHost) app.use(allowedHost); // after the probes: orchestrators probe by address
  app.use(gateway.ipLimit); // every other route, the 404s included
  app.use("/_local", localOnly); // before every /_local route, including ones added later
  app.use(declaredBodyLimit);
  app.use(methodGuard(() => app.router.stack)); // every route, including ones mounted later
  app.get("/openapi.yaml", (_req, res) => {
    res.type("application/yaml").sendFile(resolve(ROOT, "openapi.yaml"));
  });
  if (options.localCodes) app.get("/_local/confirmation-code", localCodeRoute(options.localCodes));
  if (options.localInvite)
    app.post("/_local/invite", jsonBody(), localInviteRoute(options.localInvite));
  if (options.localMfa) app.post("/_local/mfa", jsonBody(), localMfaRoute(options.localMfa));
  app.use(options.basePath ?? DEFAULT_BASE_PATH, gateway.router);
  // After the router: its requests never pay the file-system lookup of the static page.
  if (options.servePage === true) {
    // The page and its files carry the document policy; every other answer the API's.
    const setHeaders = pageHeaders();
    // The QR code library of the page's authenticator enrolment, from this origin (CSP 'self').
    app.get("/vendor/qrcode-generator.js", (_req, res) => {
      setHeaders(res);
      res.type("text/javascript").sendFile(require.resolve("qrcode-generator"));
    });
    app.use(
      express.static(resolve(ROOT, "public"), {
        index: "index.html",
        dotfiles: "ignore",
        setHeaders,
      }),
    );
  }
  app.use(notFound);
  app.use(createErrorHandler(configOf(gateway).logger));
  return app;
}

/**
 * GET /_local/confirmation-code?email= (or ?phone= for SMS) — exists only in local mode (the
 * emulator sends no mail or text), behind {@link localOnly}: callers on this machine only, never
 * relayed, even if HOST exposes the gateway wider. Answers the latest code of any kind sent to
 * the address or number: confirmation, password reset, or an SMS_MFA / EMAIL_OTP sign-in code.
 */
function localCodeRoute(
  latestCode: (destination: string) => string | undefined | Promise<string | undefined>,
): RequestHandler {
  return async function localConfirmationCode(req, res) {
    const { email, phone } = req.query;
    if (typeof phone === "string" && email === undefined) {
      const code = PHONE_NUMBER.test(phone) ? await latestCode(phone) : undefined;
      if (code === undefined) throw new GatewayError("not_found");
      res.status(200).json({ phone, code });
      return;
    }
    const address = typeof email === "string" ? normaliseEmail(email) : "";
    const code = address === "" ? undefined : await latestCode(address);
    if (code === undefined) throw new GatewayError("not_found");
    res.status(200).json({ email: address, code });
  };
}

/** A phone number as Cognito stores one: E.164, `+` and up to 15 digits. */
const PHONE_NUMBER = /^\+[1-9][0-9]{6,14}$/;

const localMfaBody = z.strictObject({
  email: resendBody.shape.email,
  methods: z.array(z.enum(["SMS_MFA", "EMAIL_OTP"])).max(2),
  phoneNumber: z
    .string()
    .regex(PHONE_NUMBER, { message: "must be an E.164 number such as +15555550123" })
    .optional(),
});

/**
 * POST /_local/mfa {email, methods, phoneNumber?} — local mode only, loopback callers only: what
 * an administrator does in the console to give a user SMS or e-mail MFA (the gateway itself only
 * enrols authenticator apps), so clients can exercise SMS_MFA, EMAIL_OTP and SELECT_MFA_TYPE.
 * Answers `{email, methods}` with every MFA method the user now has. An unknown address, or SMS
 * without a number, is 400 invalid_request.
 */
function localMfaRoute(setMfa: LocalMfaSetter): RequestHandler {
  return async function localMfa(req, res) {
    if (!isLoopback(req.socket.remoteAddress)) throw new GatewayError("not_found");
    const { email, methods, phoneNumber } = parseBody(localMfaBody, req.body);
    const enabled = await setMfa(email, [...new Set(methods)], phoneNumber).catch(
      (error: unknown) => {
        // The emulator's two refusals: no such user, or SMS for a user without a number.
        const noNumber = (error as { code?: unknown }).code === "InvalidParameterException";
        const detail = noNumber
          ? { field: "phoneNumber", problem: "is required for SMS_MFA (the account has none)" }
          : { field: "email", problem: "has no account" };
        throw new GatewayError("invalid_request", { cause: error, details: [detail] });
      },
    );
    res.set("Cache-Control", "no-store").status(200).json({ email, methods: enabled });
  };
}

/**
 * POST /_local/invite {email} — local mode only, loopback callers only (the same guard as the
 * code endpoint): creates a user with a temporary password, as an administrator's invitation
 * would, and answers `{email, temporaryPassword}`; the first sign-in then meets
 * NEW_PASSWORD_REQUIRED. An existing address is 400 invalid_request.
 */
function localInviteRoute(invite: (email: string) => Promise<string>): RequestHandler {
  return async function localInvite(req, res) {
    if (!isLoopback(req.socket.remoteAddress)) throw new GatewayError("not_found");
    const { email } = parseBody(resendBody, req.body);
    const temporaryPassword = await invite(email).catch((error: unknown) => {
      throw new GatewayError("invalid_request", {
        cause: error,
        details: [{ field: "email", problem: "already has an account" }],
      });
    });
    res.set("Cache-Control", "no-store").status(200).json({ email, temporaryPassword });
  };
}
