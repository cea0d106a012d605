import type { Request, RequestHandler } from "express";
import { bearerToken } from "../auth/require-auth";
import { sessionToken } from "../session/require-session";
import { otpauthUri } from "../cognito/challenges";
import { GatewayError } from "../errors";
import { mfaDisableBody, mfaVerifyBody, parseBody } from "../http/schemas";
import { callCognito, type RouteDeps } from "./deps";
import { signInKit } from "./sign-in";

/** The verified caller: access token and internal username. */
function caller(req: Request): { accessToken: string; username: string } {
  const accessToken = bearerToken(req) ?? sessionToken(req);
  const claims = req.auth;
  const username = claims?.username ?? claims?.["cognito:username"];
  if (accessToken === undefined || typeof username !== "string") {
    throw new GatewayError("invalid_token");
  }
  return { accessToken, username };
}

/** POST /mfa/totp — a new authenticator secret (AssociateSoftwareToken) and its otpauth URI. */
export function totpAssociateRoute(deps: RouteDeps): RequestHandler[] {
  return [
    deps.requireAccess,
    async function totpAssociate(req, res) {
      const { accessToken, username } = caller(req);
      const result = await callCognito("mfa", deps, req, () =>
        deps.cognito.associateSoftwareToken({ accessToken }),
      );
      if (!("value" in result)) throw new GatewayError("upstream_unavailable");
      const { secret } = result.value;
      res.status(200).json({
        secret,
        otpauthUri: otpauthUri(secret, deps.config.signIn.totpIssuer, username),
      });
    },
  ];
}

/**
 * POST /mfa/totp/verify {code} — verifies a code of the new secret (VerifySoftwareToken) and makes
 * TOTP the preferred MFA (SetUserMFAPreference): from then on a login answers SOFTWARE_TOKEN_MFA.
 * 204; a wrong code is 400 invalid_code.
 */
export function totpVerifyRoute(deps: RouteDeps): RequestHandler[] {
  return [
    deps.requireAccess,
    async function totpVerify(req, res) {
      const body = parseBody(mfaVerifyBody, req.body);
      const { accessToken } = caller(req);
      await callCognito("mfa", deps, req, async () => {
        await deps.cognito.verifySoftwareToken({ accessToken }, body.code);
        await deps.cognito.setSoftwareTokenMfa(accessToken, true);
      });
      res.status(204).end();
    },
  ];
}

/**
 * POST /mfa/disable {password} — turns TOTP off after the password is proven with a sign-in
 * (whose own session is revoked at once). A wrong password is 401 invalid_credentials and counts
 * toward the account's limit of wrong answers, so a stolen access token cannot guess it.
 */
export function mfaDisableRoute(deps: RouteDeps): RequestHandler[] {
  return [
    deps.requireAccess,
    async function mfaDisable(req, res) {
      const body = parseBody(mfaDisableBody, req.body);
      const { accessToken, username } = caller(req);
      const { attempts } = signInKit(deps);
      await attempts.check(username);
      await provePassword(deps, req, username, body.password).catch(async (error: unknown) => {
        await attempts.fail(username);
        throw error;
      });
      await callCognito("mfa", deps, req, () =>
        deps.cognito.setSoftwareTokenMfa(accessToken, false),
      );
      res.status(204).end();
    },
  ];
}

/** Signs in with the internal username and password; any step past the password proves it. */
async function provePassword(deps: RouteDeps, req: Request, username: string, password: string) {
  const result = await callCognito("login", deps, req, () =>
    deps.cognito.signIn(username, password, deps.callerContext(req)),
  );
  if (!("value" in result)) throw new GatewayError("invalid_credentials");
  const step = result.value;
  const proof = "tokens" in step ? step.tokens.refreshToken : undefined;
  // The proof is not a sign-in: end the session it created.
  if (proof !== undefined) await deps.cognito.revokeRefreshToken(proof).catch(() => undefined);
}
