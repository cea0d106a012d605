/**
 * Where a browser session's tokens live between requests. By default in two sealed cookies (the
 * gateway needs no state): the session cookie carries the access and id tokens, the refresh
 * cookie — sent only to the refresh path — the refresh token and the username refresh needs.
 * When a cookie would exceed the browser limit (or `store: "server"`), the tokens are kept in the
 * state store, sealed at rest, behind a session cookie that only names them.
 */
import { randomBytes } from "node:crypto";
import type { Request, Response } from "express";
import type { Clock } from "../clock";
import { GatewayError } from "../errors";
import { refreshTokenId } from "../routes/refresh";
import type { StateStore } from "../stores/state";
import { fits, type SessionCookies } from "./cookies";
import type { SessionConfig } from "./options";
import type { Sealer } from "./seal";

/** Tokens of one signed-in browser. */
export interface SessionTokens {
  accessToken: string;
  idToken: string;
  refreshToken: string;
  /** Cognito's internal username (refresh needs it for SECRET_HASH). */
  username: string;
}

/** What a request's session cookie stands for. */
export interface OpenSession {
  accessToken: string;
  idToken: string;
  /** Revocation-store id of the session's refresh token (logout revokes it locally). */
  refreshId: string;
  /** When the session ends, ms since the epoch. */
  endsAtMs: number;
  /** Server-kept sessions: the refresh token and username (cookie sessions: refresh cookie only). */
  refresh?: { refreshToken: string; username: string };
  /** Server-kept sessions: their id in the store. */
  sid?: string;
}

/** What a refresh needs. */
export interface RefreshMaterial {
  refreshToken: string;
  username: string;
  endsAtMs: number;
  /** Server-kept sessions: their id in the store (kept across refreshes). */
  sid?: string;
}

/** What {@link SessionKeeper} is built from. */
export interface SessionKeeperDeps {
  config: SessionConfig;
  cookies: SessionCookies;
  /** The gateway's sealer per purpose. */
  sealer(purpose: string): Sealer;
  state: StateStore;
  clock: Clock;
}

interface InCookie {
  a: string;
  i: string;
  r: string;
}
interface Pointer {
  s: string;
}
interface Kept {
  a: string;
  i: string;
  t: string;
  u: string;
}

const STATE_PREFIX = "session:";

/** Issues, reads and ends browser sessions. */
export class SessionKeeper {
  readonly #d: SessionKeeperDeps;
  readonly #seal: Readonly<Record<"session" | "refresh" | "kept", Sealer>>;

  constructor(deps: SessionKeeperDeps) {
    this.#d = deps;
    // One purpose per kind of value: none can be replayed as another.
    this.#seal = Object.freeze({
      session: deps.sealer("session"),
      refresh: deps.sealer("session-refresh"),
      kept: deps.sealer("session-kept"),
    });
  }

  /**
   * Sets the cookies of a session that ends at `endsAtMs`: sealed tokens when every cookie fits,
   * else server-kept tokens behind a small cookie. A refresh passes the session's `sid` to update
   * its stored tokens in place (two tabs refreshing at once both stay valid). Answers where the
   * tokens went.
   */
  async issue(
    res: Response,
    basePath: string,
    tokens: SessionTokens,
    endsAtMs: number,
    sid?: string,
  ): Promise<"cookie" | "server"> {
    const ttl = (endsAtMs - this.#d.clock.now()) / 1000;
    if (ttl <= 0) throw new GatewayError("invalid_token"); // the session is over
    if (this.#d.config.store === "auto") {
      const { cookies } = this.#d;
      const inCookie: InCookie = {
        a: tokens.accessToken,
        i: tokens.idToken,
        r: refreshTokenId(tokens.refreshToken),
      };
      const session = cookies.set("session", this.#seal.session.seal(inCookie, ttl), ttl, basePath);
      const refresh = cookies.set(
        "refresh",
        this.#seal.refresh.seal({ t: tokens.refreshToken, u: tokens.username }, ttl),
        ttl,
        basePath,
      );
      if (fits(session) && fits(refresh)) {
        if (sid !== undefined) await this.#d.state.delete(STATE_PREFIX + sid);
        res.append("Set-Cookie", [session, refresh]);
        return "cookie";
      }
    }
    return this.#keep(res, basePath, tokens, ttl, sid);
  }

  /** Whether the request carries a session cookie at all (valid or not). */
  hasCookie(req: Pick<Request, "headers">): boolean {
    return this.#d.cookies.read(req, "session") !== undefined;
  }

  /** The session the request's cookie stands for, or undefined (absent, forged, expired, ended). */
  async open(req: Pick<Request, "headers">): Promise<OpenSession | undefined> {
    const raw = this.#d.cookies.read(req, "session");
    const opened = raw === undefined ? undefined : this.#seal.session.open(raw);
    if (opened === undefined) return undefined;
    const value = opened.payload;
    if (isInCookie(value)) {
      return {
        accessToken: value.a,
        idToken: value.i,
        refreshId: value.r,
        endsAtMs: opened.expiresAtMs,
      };
    }
    if (!isPointer(value)) return undefined;
    const kept = await this.#kept(value.s);
    if (kept === undefined) return undefined;
    return {
      accessToken: kept.a,
      idToken: kept.i,
      refreshId: refreshTokenId(kept.t),
      endsAtMs: opened.expiresAtMs,
      refresh: { refreshToken: kept.t, username: kept.u },
      sid: value.s,
    };
  }

  /** The refresh token, username and session end, from the refresh cookie or the store. */
  async refreshMaterial(req: Pick<Request, "headers">): Promise<RefreshMaterial | undefined> {
    const raw = this.#d.cookies.read(req, "refresh");
    const opened = raw === undefined ? undefined : this.#seal.refresh.open(raw);
    const value = opened?.payload;
    if (opened !== undefined && isRefresh(value)) {
      return { refreshToken: value.t, username: value.u, endsAtMs: opened.expiresAtMs };
    }
    const session = await this.open(req);
    if (session?.refresh === undefined) return undefined;
    const { sid } = session;
    return {
      ...session.refresh,
      endsAtMs: session.endsAtMs,
      ...(sid === undefined ? {} : { sid }),
    };
  }

  /** Forgets the server-kept tokens, if any, and clears both cookies with matching attributes. */
  async end(req: Pick<Request, "headers">, res: Response, basePath: string): Promise<void> {
    const raw = this.#d.cookies.read(req, "session");
    const value = raw === undefined ? undefined : this.#seal.session.open(raw)?.payload;
    if (isPointer(value)) await this.#d.state.delete(STATE_PREFIX + value.s);
    this.clear(res, basePath);
  }

  /** Clears both cookies (same name, path and attributes as when they were set). */
  clear(res: Response, basePath: string): void {
    const { cookies } = this.#d;
    res.append("Set-Cookie", [
      cookies.clear("session", basePath),
      cookies.clear("refresh", basePath),
    ]);
  }

  async #keep(
    res: Response,
    basePath: string,
    tokens: SessionTokens,
    ttl: number,
    existing: string | undefined,
  ): Promise<"server"> {
    const sid = existing ?? randomBytes(32).toString("base64url");
    const kept: Kept = {
      a: tokens.accessToken,
      i: tokens.idToken,
      t: tokens.refreshToken,
      u: tokens.username,
    };
    // Sealed at rest: a shared store never holds a usable token.
    await this.#d.state.set(STATE_PREFIX + sid, this.#seal.kept.seal(kept, ttl), Math.ceil(ttl));
    const { cookies } = this.#d;
    const pointer: Pointer = { s: sid };
    res.append("Set-Cookie", [
      cookies.set("session", this.#seal.session.seal(pointer, ttl), ttl, basePath),
      cookies.clear("refresh", basePath),
    ]);
    return "server";
  }

  async #kept(sid: string): Promise<Kept | undefined> {
    const stored = await this.#d.state.get(STATE_PREFIX + sid);
    const value = stored === undefined ? undefined : this.#seal.kept.open(stored)?.payload;
    return isKept(value) ? value : undefined;
  }
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null
    ? (value as Record<string, unknown>)
    : undefined;
}

function strings(value: unknown, keys: readonly string[]): boolean {
  const r = record(value);
  return r !== undefined && keys.every((key) => typeof r[key] === "string" && r[key] !== "");
}

function isInCookie(value: unknown): value is InCookie {
  return strings(value, ["a", "i", "r"]);
}
function isPointer(value: unknown): value is Pointer {
  return strings(value, ["s"]);
}
function isRefresh(value: unknown): value is { t: string; u: string } {
  return strings(value, ["t", "u"]);
}
function isKept(value: unknown): value is Kept {
  return strings(value, ["a", "i", "t", "u"]);
}
