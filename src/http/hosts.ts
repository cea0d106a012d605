import type { Request, RequestHandler } from "express";
import { ConfigError, GatewayError } from "../errors";
import { isStringList, keysOf, refuseUnknownKeys } from "../option-rules";

/** Names a local-mode gateway always answers (any port): this machine only. */
export const LOOPBACK_HOSTS: readonly string[] = Object.freeze(["localhost", "127.0.0.1", "[::1]"]);

/** Which `Host` headers the app answers. */
export interface HostOptions {
  /**
   * Host names (no port; any port is accepted) the app answers, lower case; `*.example.com`
   * matches any subdomain. Empty: any host (the default outside local mode).
   */
  allowedHosts: readonly string[];
  /** Local mode: loopback names are always allowed, and nothing else unless listed. */
  local: boolean;
}

const HOST_OPTION_KEYS = keysOf<HostOptions>({ allowedHosts: true, local: true });

const HOST_NAME = /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;
const IPV6_LITERAL = /^\[[0-9a-f:.]+\]$/;

/**
 * Checks and normalises allowed host names (`ALLOWED_HOSTS`); default none (any host).
 * @param option the option's name in messages
 * @throws ConfigError (`malformed`) naming a bad entry
 */
export function resolveAllowedHosts(
  names: readonly string[] = [],
  option = "hosts.allowedHosts",
): readonly string[] {
  if (!isStringList(names)) {
    throw new ConfigError("malformed", option, `${option} must be a list of host names.`);
  }
  return Object.freeze(
    names.map((raw) => {
      const name = raw.trim().toLowerCase();
      if (!HOST_NAME.test(name) && !IPV6_LITERAL.test(name)) {
        throw new ConfigError(
          "malformed",
          option,
          `${option} entry "${raw}" is not a host name: give names without scheme or port, e.g. "api.example.com,*.example.org".`,
        );
      }
      return name;
    }),
  );
}

/** The host name of a `Host` header, lower case, without its port; undefined if malformed. */
export function hostName(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::[0-9]{1,5})?$/i.exec(header.trim());
  return match?.[1]?.toLowerCase().replace(/\.$/, "");
}

function allows(list: readonly string[], name: string): boolean {
  return list.some((allowed) =>
    allowed.startsWith("*.") ? name.endsWith(allowed.slice(1)) : allowed === name,
  );
}

/**
 * Refuses a request whose `Host` is not one this app serves, before any route: the defence
 * against DNS rebinding, where a page on attacker-rebind.example resolves its own name to
 * 127.0.0.1 and reads same-origin answers from a gateway on this machine. In local mode only
 * loopback names (and `ALLOWED_HOSTS`) are served; elsewhere `ALLOWED_HOSTS`, when set.
 * The refusal is `400 invalid_request` naming the `host` header. Undefined when nothing is checked.
 */
export function hostGuard(options: HostOptions): RequestHandler | undefined {
  refuseUnknownKeys(options, HOST_OPTION_KEYS, "hosts.");
  const allowed = resolveAllowedHosts(options.allowedHosts);
  const list = options.local ? [...LOOPBACK_HOSTS, ...allowed] : allowed;
  if (list.length === 0) return undefined;
  return function allowedHost(req, _res, next) {
    const name = hostName(req.headers.host);
    if (name !== undefined && allows(list, name)) {
      next();
      return;
    }
    next(
      new GatewayError("invalid_request", {
        details: [{ field: "host", problem: "is not a host this gateway serves" }],
      }),
    );
  };
}

/** Headers that say a proxy, tunnel or port forwarder relayed the request. */
export const FORWARDING_HEADERS: readonly string[] = Object.freeze([
  "forwarded",
  "x-forwarded-for",
  "x-forwarded-host",
  "x-real-ip",
  "via",
]);

/** Whether a socket address is this machine (IPv4 127/8, IPv6 ::1, or IPv4-mapped loopback). */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith("::ffff:") ? address.slice(7) : address;
  return v4.startsWith("127.") || address === "::1";
}

function relayed(req: Request): boolean {
  return FORWARDING_HEADERS.some((name) => req.headers[name] !== undefined);
}

/**
 * The one guard of every `/_local/*` route (mount it on `/_local` before them, so routes added
 * there later inherit it): the caller must be on this machine by socket address, name a loopback
 * `Host`, and carry no forwarding header. A proxy, tunnel or dev-server on this machine that
 * relays others' requests usually adds `X-Forwarded-For`, `Forwarded` or `Via`; one that adds
 * none, and rewrites `Host` to a loopback name, is indistinguishable from a local caller (the
 * README says so). Refusals are a plain `404 not_found`, as if the route did not exist.
 */
export const localOnly: RequestHandler = function localOnly(req, _res, next) {
  const name = hostName(req.headers.host);
  const local =
    isLoopback(req.socket.remoteAddress) &&
    name !== undefined &&
    LOOPBACK_HOSTS.includes(name) &&
    !relayed(req);
  next(local ? undefined : new GatewayError("not_found"));
};
