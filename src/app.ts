import { resolve } from "node:path";
import express, { type Express, type RequestHandler } from "express";
import { GatewayError } from "./errors";
import type { Gateway } from "./gateway";
import { createErrorHandler, notFound } from "./http/error-handler";
import { hostGuard, isLoopback, localOnly, type HostOptions } from "./http/hosts";
import { methodGuard } from "./http/methods";
import { requestLog } from "./http/request-log";
import { declaredBodyLimit, jsonBody } from "./http/body";
import { normaliseEmail, parseBody, resendBody } from "./http/schemas";
import { corsFor, securityHeaders } from "./http/security";
import { PACKAGE_ROOT } from "./package-files";
import { healthz, readyz } from "./routes/health";

/** Settings of the standalone app around a gateway. */
export interface AppOptions {
  /** Where the lifecycle router is mounted. Default `/auth`. */
  basePath?: string;
  /** Express `trust proxy`. Default false: the socket's address is the client IP. */
  trustProxy?: boolean | number | string;
  /** Origins allowed by CORS. Default none (same origin only). */
  corsOrigins?: readonly string[];
  /** Serve the account page at `/`. Default false. */
  servePage?: boolean;
  /** Local mode only: the latest confirmation code per address, for unattended clients. */
  localCodes?: (email: string) => string | undefined | Promise<string | undefined>;
  /** Local mode only: creates a user with a temporary password, answered to the caller. */
  localInvite?: (email: string) => Promise<string>;
  /**
   * Which `Host` headers are answered (DNS-rebinding defence). Default: any host, unless
   * `local` is true, when only loopback names are.
   */
  hosts?: HostOptions;
}

const ROOT = PACKAGE_ROOT;

/**
 * The standalone HTTP app: request ids and access logs, security headers, CORS, health
 * probes, the OpenAPI document, the optional page, the lifecycle router, and the JSON 404/error
 * envelope.
 */
export function createApp(gateway: Gateway, options: AppOptions = {}): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false); // answers are no-store: hashing every body buys nothing
  app.set("trust proxy", options.trustProxy ?? false);
  app.use(requestLog(gateway.config.logger, gateway.metrics));
  app.use(securityHeaders());
  const cors = corsFor(options.corsOrigins ?? [], gateway.config.session?.origins);
  if (cors) app.use(cors);
  // Probes come before the limiter: an orchestrator polling them must never be refused.
  app.get("/healthz", healthz);
  app.get(
    "/readyz",
    readyz({
      keys: gateway.keys,
      reachable: () => gateway.ready(),
      clock: gateway.config.clock,
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
  if (options.servePage === true) {
    // The QR code library of the page's authenticator enrolment, from this origin (CSP 'self').
    app.get("/vendor/qrcode-generator.js", (_req, res) => {
      res.type("text/javascript").sendFile(require.resolve("qrcode-generator"));
    });
    app.use(express.static(resolve(ROOT, "public"), { index: "index.html", dotfiles: "ignore" }));
  }
  app.use(options.basePath ?? "/auth", gateway.router);
  app.use(notFound);
  app.use(createErrorHandler(gateway.config.logger));
  return app;
}

/**
 * GET /_local/confirmation-code?email= — exists only in local mode (the emulator sends no mail),
 * behind {@link localOnly}: callers on this machine only, never relayed, even if HOST exposes
 * the gateway wider.
 */
function localCodeRoute(
  latestCode: (email: string) => string | undefined | Promise<string | undefined>,
): RequestHandler {
  return async function localConfirmationCode(req, res) {
    const email = typeof req.query.email === "string" ? normaliseEmail(req.query.email) : "";
    const code = email === "" ? undefined : await latestCode(email);
    if (code === undefined) throw new GatewayError("not_found");
    res.status(200).json({ email, code });
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

export { isLoopback };
