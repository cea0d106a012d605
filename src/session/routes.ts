/**
 * Browser-session routes (backend-for-frontend): the gateway keeps the tokens, the browser gets
 * HttpOnly cookies only, and no response body of these routes carries a token.
 *
 *   POST /session/login    {email, password} + X-CSRF → {username, expiresIn, user} + cookies,
 *                          or a challenge exactly as /login
 *   POST /session/login/challenge  as /login/challenge → the same, with cookies
 *   POST /session/refresh  cookies + X-CSRF → {expiresIn} + fresh cookies; 401 clears them
 *   POST /session/logout   cookies + X-CSRF → 204, revoked exactly as /logout, cookies cleared
 *   GET  /session          cookies → {user, expiresIn}
 *
 * The CSRF guard runs before body parsing (see {@link sessionCsrfGuard}), so a cross-site form
 * post is refused as `csrf_failed` whatever its media type.
 */
import type { Request, RequestHandler, Response, Router } from "express";
import type { CognitoClaims, TokenVerifier } from "../auth/verifier";
import type { Clock } from "../clock";
import type { IssuedTokens } from "../cognito/adapter";
import { GatewayError, isGatewayError } from "../errors";
import type { RouteDeps } from "../routes/deps";
import { loginBody, parseBody } from "../http/schemas";
import {
  answerChallenge,
  challengeAnswerBody,
  passwordSignIn,
  type SignInOutcome,
} from "../routes/sign-in";
import { signOut } from "../routes/logout";
import { refreshTokens } from "../routes/refresh";
import type { StateStore } from "../stores/state";
import { claimsOf } from "./claims";
import { sessionCookies } from "./cookies";
import { csrfCheck, requireCsrf, type CsrfRefusal } from "./csrf";
import { SessionKeeper } from "./keeper";
import type { SessionConfig } from "./options";
import type { Sealer } from "./seal";

/** Everything the session routes and cookie authentication share, built once per gateway. */
export interface SessionRuntime {
  readonly config: SessionConfig;
  readonly keeper: SessionKeeper;
  readonly csrf: (req: Pick<Request, "method" | "headers">) => CsrfRefusal | undefined;
  /** Verifies the session's access token (expiry, revocation). */
  readonly access: TokenVerifier;
  /** Verifies the session's id token (who the user is). */
  readonly id: TokenVerifier;
  readonly clock: Clock;
}

/** Builds the {@link SessionRuntime} of a gateway. */
export function createSessionRuntime(options: {
  config: SessionConfig;
  sealer: (purpose: string) => Sealer;
  state: StateStore;
  clock: Clock;
  access: TokenVerifier;
  id: TokenVerifier;
}): SessionRuntime {
  const { config, clock } = options;
  const keeper = new SessionKeeper({
    config,
    cookies: sessionCookies(config),
    sealer: options.sealer,
    state: options.state,
    clock,
  });
  return Object.freeze({
    config,
    keeper,
    csrf: csrfCheck(config),
    access: options.access,
    id: options.id,
    clock,
  });
}

/** Who the session belongs to, as the session routes answer it. */
export interface SessionUser {
  sub: string;
  email?: string;
  groups: readonly string[];
}

/** The body of a successful session login (no token in it). */
export interface SessionLoginBody {
  username: string;
  expiresIn: number;
  user: SessionUser;
}

/** Mount before body parsing: refuses unsafe `/session/*` requests that fail the CSRF check. */
export function sessionCsrfGuard(session: SessionRuntime): RequestHandler {
  return requireCsrf(session.csrf);
}

/**
 * Adds the session routes to a lifecycle router (after its body parser). `loginLimits` are the
 * same limiters `/login` uses, so an account's budget and back-off count both routes.
 */
export function addSessionRoutes(
  router: Router,
  deps: RouteDeps,
  session: SessionRuntime,
  loginLimits: readonly RequestHandler[],
): void {
  router.post("/session/login", ...loginLimits, sessionLoginRoute(deps, session));
  router.post("/session/login/challenge", sessionChallengeRoute(deps, session));
  router.post("/session/refresh", sessionRefreshRoute(deps, session));
  router.post("/session/logout", sessionLogoutRoute(deps, session));
  router.get("/session", sessionInfoRoute(session));
}

/**
 * Turns tokens from a completed sign-in into a browser session: sets the cookies and answers the
 * body for the client. For every route that signs someone in with cookies (password login,
 * challenge answers).
 */
export async function startSession(
  session: SessionRuntime,
  req: Request,
  res: Response,
  tokens: IssuedTokens & { refreshToken: string },
): Promise<SessionLoginBody> {
  const endsAtMs = session.clock.now() + session.config.maxAgeSeconds * 1000;
  await session.keeper.issue(res, req.baseUrl, tokens, endsAtMs);
  // The id token came straight from Cognito over TLS, as /login hands it out.
  const claims = claimsOf(tokens.idToken) ?? claimsOf(tokens.accessToken);
  return {
    username: tokens.username,
    expiresIn: tokens.expiresIn,
    user: userOf(claims ?? { sub: tokens.username }),
  };
}

/** POST /session/login — as /login (same floor, limits and answers), but with cookies. */
function sessionLoginRoute(deps: RouteDeps, session: SessionRuntime): RequestHandler {
  return async function sessionLogin(req, res) {
    const body = parseBody(loginBody, req.body);
    const outcome = await deps.floor(() => passwordSignIn(deps, req, body));
    res.status(200).json(await sessionStep(deps, session, req, res, outcome));
  };
}

/** POST /session/login/challenge — as /login/challenge, but a completed sign-in sets cookies. */
function sessionChallengeRoute(deps: RouteDeps, session: SessionRuntime): RequestHandler {
  return async function sessionLoginChallenge(req, res) {
    const outcome = await answerChallenge(deps, req, req.body);
    res.status(200).json(await sessionStep(deps, session, req, res, outcome));
  };
}

/** A sign-in step in session mode: the challenge answer as is, or tokens turned into cookies. */
async function sessionStep(
  deps: RouteDeps,
  session: SessionRuntime,
  req: Request,
  res: Response,
  outcome: SignInOutcome,
) {
  const { step, email } = outcome;
  if ("challenge" in step) return challengeAnswerBody(deps, step.challenge, email);
  const { refreshToken } = step.tokens;
  if (refreshToken === undefined) throw new GatewayError("invalid_credentials");
  // The device token goes in an HttpOnly cookie: no token in a session route's body.
  deps.limits.setDeviceCookie(res, outcome.deviceToken);
  return startSession(session, req, res, { ...step.tokens, refreshToken });
}

/** POST /session/refresh — fresh tokens in fresh cookies; any refusal clears the cookies. */
function sessionRefreshRoute(deps: RouteDeps, session: SessionRuntime): RequestHandler {
  const { keeper } = session;
  return async function sessionRefresh(req, res) {
    const material = await keeper.refreshMaterial(req);
    if (material === undefined) {
      await keeper.end(req, res, req.baseUrl);
      throw new GatewayError("invalid_token");
    }
    let tokens: IssuedTokens;
    try {
      tokens = await refreshTokens(deps, req, material.refreshToken, material.username);
    } catch (error) {
      if (isGatewayError(error) && error.code === "invalid_token") {
        await keeper.end(req, res, req.baseUrl);
      }
      throw error;
    }
    const refreshToken = tokens.refreshToken ?? material.refreshToken; // rotated, or the same
    await keeper.issue(
      res,
      req.baseUrl,
      { ...tokens, refreshToken, username: material.username },
      material.endsAtMs,
      material.sid,
    );
    res.status(200).json({ expiresIn: tokens.expiresIn });
  };
}

/**
 * POST /session/logout — 204 and cookies cleared, always. A live session is ended exactly as
 * /logout ends one (local revocation, global sign-out, refresh-token revocation). A session whose
 * access token is no longer valid only has its own refresh token revoked here: an old cookie
 * replayed must not sign the user out of newer sessions.
 */
function sessionLogoutRoute(deps: RouteDeps, session: SessionRuntime): RequestHandler {
  const { keeper } = session;
  return async function sessionLogout(req, res) {
    const open = await keeper.open(req);
    if (open !== undefined) {
      const verified = await session.access.check(open.accessToken);
      const refreshToken = open.refresh?.refreshToken;
      if (isGatewayError(verified)) {
        const until = Math.floor(session.clock.now() / 1000) + deps.config.refreshTokenMaxSeconds;
        await deps.revocations.revokeToken(open.refreshId, until);
      } else {
        const target = { claims: verified, accessToken: open.accessToken, refreshToken };
        await signOut(deps, req, { ...target, refreshId: open.refreshId });
      }
    }
    await keeper.end(req, res, req.baseUrl);
    res.status(204).end();
  };
}

/** GET /session — who is signed in, and for how long the access token still runs. */
function sessionInfoRoute(session: SessionRuntime): RequestHandler {
  return async function sessionInfo(req, res) {
    const open = await session.keeper.open(req);
    if (open === undefined) throw new GatewayError("invalid_token");
    const access = await session.access.verify(open.accessToken);
    const id = await session.id.verify(open.idToken).catch(() => undefined);
    const nowSec = Math.floor(session.clock.now() / 1000);
    res
      .status(200)
      .json({ user: userOf(id ?? access), expiresIn: Math.max(0, access.exp - nowSec) });
  };
}

function userOf(claims: Pick<CognitoClaims, "sub" | "email" | "cognito:groups">): SessionUser {
  return {
    sub: claims.sub,
    ...(typeof claims.email === "string" ? { email: claims.email } : {}),
    groups: claims["cognito:groups"] ?? [],
  };
}
