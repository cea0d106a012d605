/**
 * Who may talk to the embedded emulator: only gateways given its endpoint. cognito-local itself
 * answers anyone (`Access-Control-Allow-Origin: *`, no authentication), so a web page the
 * developer visits could list users, read the app client's secret and set passwords. The guard
 * refuses every request that carries `Origin` (browsers send it on every cross-origin request),
 * and every API call whose path does not start with a key drawn at random for this run. The key
 * is part of the endpoint URL given to the gateway's SDK client (and to the 0600 link file of a
 * shared emulator); a per-run secret in the path rather than a signature check, because
 * Cognito's public operations (SignUp, InitiateAuth, …) are sent unsigned. The public discovery
 * document and JWKS, and the link routes (`/_local/…`, which check their own bearer token), are
 * served without the key.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { RequestListener, ServerResponse } from "node:http";

/** A fresh path key: 64 hex characters (256 bits). */
export function randomPathKey(): string {
  return randomBytes(32).toString("hex");
}

const PUBLIC_GET = /^\/[\w-]+\/\.well-known\/(?:jwks\.json|openid-configuration)(?:\?.*)?$/;

/**
 * Wraps the emulator's request listener: `Origin` → 403; an API call without the path key → 403
 * `UnrecognizedClientException`; otherwise the key is stripped and the request handed on.
 */
export function guardEmulator(pathKey: string, inner: RequestListener): RequestListener {
  const prefix = `/${pathKey}`;
  return (req, res) => {
    const url = req.url ?? "";
    if (req.headers.origin !== undefined) {
      refuse(res, "AccessDeniedException");
      return;
    }
    if (keyed(url, prefix)) {
      req.url = url.slice(prefix.length) || "/";
      inner(req, res);
      return;
    }
    const open = url.startsWith("/_local/") || (req.method === "GET" && PUBLIC_GET.test(url));
    if (open) inner(req, res);
    else refuse(res, "UnrecognizedClientException");
  };
}

function keyed(url: string, prefix: string): boolean {
  const given = Buffer.from(url.slice(0, prefix.length));
  const wanted = Buffer.from(prefix);
  const same = given.length === wanted.length && timingSafeEqual(given, wanted);
  const next = url.charAt(prefix.length);
  return same && (next === "" || next === "/" || next === "?");
}

function refuse(res: ServerResponse, type: string): void {
  res.writeHead(403, { "content-type": "application/x-amz-json-1.1", "x-amzn-errortype": type });
  res.end(
    JSON.stringify({ __type: type, message: "The local emulator answers its gateway only." }),
  );
}
