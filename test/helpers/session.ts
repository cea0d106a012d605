/**
 * Browser-session test helpers: a mocked gateway with sessions on, Cognito answers with real
 * (test-key) access and id tokens, Cognito-sized tokens, and Set-Cookie / Cookie plumbing.
 */
import { randomBytes } from "node:crypto";
import { InitiateAuthCommand } from "@aws-sdk/client-cognito-identity-provider";
import { parseSetCookie, type SetCookie } from "cookie";
import type { Response } from "supertest";
import type { GatewayOptions } from "../../src/options";
import type { SessionOptions } from "../../src/session/options";
import { idClaims, mint, type MintOptions } from "./auth";
import { mockedGateway } from "./mocked-gateway";

/** A sealing secret for tests (≥ 32 characters). */
export const SESSION_SECRET = "test-session-secret-0123456789-abcdefghij";
export const REFRESH_TOKEN = "refresh-token-value";
export const CSRF = { "X-CSRF": "1" } as const;

/** A mocked gateway (aws-sdk-client-mock Cognito) with browser sessions on. */
export function sessionGateway(
  session: SessionOptions | true = true,
  overrides: Partial<GatewayOptions> = {},
) {
  const built = mockedGateway({ sessionSecret: SESSION_SECRET, session, ...overrides });
  return {
    ...built,
    answerLogin: (tokens?: Partial<Tokens>) => answerLogin(built.cognito, tokens),
  };
}

interface Tokens {
  access: string;
  id: string;
  refresh: string;
}

/**
 * Cognito's answer completing a sign-in (`output`) with these tokens (default: valid test access
 * and id tokens), and the tokens.
 */
export function signedInResult(tokens: Partial<Tokens> = {}) {
  const all: Tokens = {
    access: tokens.access ?? mint(),
    id: tokens.id ?? mint({ claims: idClaims() }),
    refresh: tokens.refresh ?? REFRESH_TOKEN,
  };
  const output = {
    AuthenticationResult: {
      AccessToken: all.access,
      IdToken: all.id,
      RefreshToken: all.refresh,
      ExpiresIn: 3600,
      TokenType: "Bearer",
    },
  };
  return { tokens: all, output };
}

/** Makes every InitiateAuth answer with these tokens (default: valid test tokens). */
function answerLogin(
  cognito: ReturnType<typeof mockedGateway>["cognito"],
  tokens: Partial<Tokens> = {},
): Tokens {
  const result = signedInResult(tokens);
  cognito.on(InitiateAuthCommand).resolves(result.output);
  return result.tokens;
}

/** A token minted with a padding claim so that it is exactly `length` characters long. */
export function tokenOfLength(length: number, options: MintOptions = {}): string {
  const withPad = (pad: number) =>
    mint({ ...options, payload: { ...options.payload, pad: "p".repeat(pad) } });
  let pad = 0;
  for (let i = 0; i < 20; i++) {
    const token = withPad(pad);
    if (token.length === length) return token;
    pad +=
      Math.max(1, Math.floor(((length - token.length) * 3) / 4)) * Math.sign(length - token.length);
    if (pad < 0) throw new Error(`cannot mint a token as short as ${length}`);
  }
  throw new Error(`could not mint a token of ${length} characters`);
}

/**
 * Tokens the size of real Cognito ones: access ~1.1 KB, id ~1.3 KB, and a refresh token shaped
 * like Cognito's (an encrypted JWE, five base64url parts) of ~1.8 KB.
 */
export function cognitoSizedTokens(): Tokens {
  const part = (bytes: number) => randomBytes(bytes).toString("base64url");
  const header = Buffer.from('{"cty":"JWT","enc":"A256GCM","alg":"RSA-OAEP"}').toString(
    "base64url",
  );
  const refresh = [header, part(256), part(12), part(1015), part(16)].join(".");
  return {
    access: tokenOfLength(1100),
    id: tokenOfLength(1300, { claims: idClaims() }),
    refresh: refresh.slice(0, 1800),
  };
}

/** The Set-Cookie headers of a response, parsed, by cookie name. */
export function setCookies(res: Response): Map<string, SetCookie & { raw: string }> {
  const header = res.headers["set-cookie"] as unknown;
  const list = Array.isArray(header) ? (header as string[]) : [];
  return new Map(list.map((raw) => [parseSetCookie(raw).name, { ...parseSetCookie(raw), raw }]));
}

/** A Cookie request header carrying the (non-empty) cookies a response set. */
export function cookieHeader(res: Response, only?: readonly string[]): string {
  return [...setCookies(res).values()]
    .filter((c) => c.value !== "" && (only === undefined || only.includes(c.name)))
    .map((c) => `${c.name}=${c.value}`)
    .join("; ");
}

/**
 * A minimal browser-like cookie jar for fetch: keeps cookies by name, honours Max-Age=0 and
 * Path (a cookie is sent to its path and below), ignores Domain (tests talk to one host).
 */
export class CookieJar {
  readonly #cookies = new Map<string, { value: string; path: string }>();

  /** Takes the Set-Cookie headers of a fetch response. */
  take(res: globalThis.Response): void {
    for (const raw of res.headers.getSetCookie()) {
      const cookie = parseSetCookie(raw);
      if (cookie.maxAge === 0 || cookie.value === "" || cookie.value === undefined) {
        this.#cookies.delete(cookie.name);
      } else {
        this.#cookies.set(cookie.name, { value: cookie.value, path: cookie.path ?? "/" });
      }
    }
  }

  /** The Cookie header a browser would send to `path`. */
  header(path: string): string {
    return [...this.#cookies]
      .filter(
        ([, c]) => path === c.path || path.startsWith(c.path.endsWith("/") ? c.path : `${c.path}/`),
      )
      .map(([name, c]) => `${name}=${c.value}`)
      .join("; ");
  }

  /** Names of the cookies held. */
  names(): string[] {
    return [...this.#cookies.keys()].sort();
  }

  /** A copy (to replay old cookies later). */
  copy(): CookieJar {
    const jar = new CookieJar();
    for (const [name, c] of this.#cookies) jar.#cookies.set(name, { ...c });
    return jar;
  }
}
