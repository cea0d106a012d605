import type { RequestHandler } from "express";
import { GatewayError } from "../errors";
import type { RouteDeps } from "./deps";

/** GET /me — who the verified access token says the caller is. */
export function meRoute(deps: RouteDeps): RequestHandler[] {
  return [
    deps.requireAccess,
    function me(req, res) {
      const claims = req.auth;
      if (claims === undefined) throw new GatewayError("invalid_token");
      const username = claims.username ?? claims["cognito:username"];
      res.status(200).json({
        sub: claims.sub,
        username,
        ...(typeof claims.email === "string" ? { email: claims.email } : {}),
        scope: claims.scope ?? "",
        groups: claims["cognito:groups"] ?? [],
      });
    },
  ];
}
