import crypto from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, GatewayError } from "../../src/errors";
import { FileKeyStore } from "../../src/auth/keys";
import { MemoryRevocationStore, type RevocationStore } from "../../src/auth/revocation";
import { createVerifier, type TokenVerifier } from "../../src/auth/verifier";
import { resolveVerifierOptions } from "../../src/auth/verifier-options";
import {
  accessClaims,
  b64url,
  CLIENT_ID,
  idClaims,
  ISSUER,
  KID,
  ManualClock,
  mint,
  NOW_SEC,
  OTHER_CLIENT_ID,
  signRaw,
  signSegments,
  signingKey,
  verifierOptions,
  REVOCATION_CASES,
} from "../helpers/auth";
import { refusalOf } from "../helpers/option-rules";

const attacker = signingKey("attacker-key");
const HEADER = JSON.stringify({ kid: KID, alg: "RS256" });
const PAYLOAD = JSON.stringify(accessClaims());

async function outcome(verifier: TokenVerifier, token: string): Promise<string> {
  try {
    await verifier.verify(token);
    return "accepted";
  } catch (err) {
    return err instanceof GatewayError ? err.code : `unexpected ${String(err)}`;
  }
}

function withSignature(token: string, signature: string): string {
  return `${token.slice(0, token.lastIndexOf(".") + 1)}${signature}`;
}

function signatureOf(token: string): string {
  return token.slice(token.lastIndexOf(".") + 1);
}

let verifySpy: jest.SpiedFunction<typeof crypto.verify>;
beforeEach(() => {
  verifySpy = jest.spyOn(crypto, "verify");
});
afterEach(() => {
  verifySpy.mockRestore();
});

describe("a valid token", () => {
  it("is accepted with its claims, deep-frozen", async () => {
    const verifier = createVerifier(verifierOptions());
    const claims = await verifier.verify(mint());
    expect(claims.sub).toBe(accessClaims().sub);
    expect(claims.client_id).toBe(CLIENT_ID);
    expect(Object.isFrozen(claims)).toBe(true);
    expect(Object.isFrozen(claims["cognito:groups"])).toBe(true);
    expect(verifySpy).toHaveBeenCalledTimes(1);
  });

  it("is accepted as an id token by an id verifier", async () => {
    const verifier = createVerifier(verifierOptions({ tokenUse: "id" }));
    const claims = await verifier.verify(mint({ claims: idClaims() }));
    expect(claims.email).toBe("user@example.com");
  });

  it("is accepted with a typ of JWT, an nbf in the past, and any clientId of a list", async () => {
    const verifier = createVerifier(verifierOptions({ clientId: [OTHER_CLIENT_ID, CLIENT_ID] }));
    const token = mint({ header: { typ: "JWT" }, payload: { nbf: NOW_SEC - 60 } });
    expect(await outcome(verifier, token)).toBe("accepted");
  });

  it("is accepted through check() synchronously", () => {
    const verifier = createVerifier(verifierOptions());
    const result = verifier.check(mint());
    expect(result).not.toBeInstanceOf(Promise);
    expect(result).not.toBeInstanceOf(GatewayError);
  });
});

/** Each entry changes one thing of a valid token; every one must be refused with invalid_token. */
const longClaim = "x".repeat(4096);
const valid = mint();
const [validHeader = "", validPayload = "", validSignature = ""] = valid.split(".");
const invalidCases: [string, () => string][] = [
  // shape
  ["longer than 4096 characters", () => mint({ payload: { pad: longClaim } })],
  ["two segments", () => `${validHeader}.${validPayload}`],
  ["four segments", () => `${valid}.${validSignature}`],
  ["an empty header", () => `.${validPayload}.${validSignature}`],
  ["an empty payload", () => `${validHeader}..${validSignature}`],
  ["an empty signature", () => `${validHeader}.${validPayload}.`],
  // Node's decoder accepts each of these and yields the same bytes: only the strict check refuses.
  ["a + character", () => signSegments(validHeader, SYMBOLS.replaceAll("-", "+"))],
  ["a / character", () => signSegments(validHeader, SYMBOLS.replaceAll("_", "/"))],
  [
    "a space",
    () => signSegments(validHeader, `${validPayload.slice(0, 8)} ${validPayload.slice(8)}`),
  ],
  ["= padding", () => signSegments(padded(validHeader), validPayload)],
  ["a non-canonical last character", () => withSignature(valid, tweakLast(validSignature))],
  ["a segment of length 4n+1", () => signSegments(validHeader, to4nPlus1(validPayload))],
  ["a non-ASCII character", () => `${valid.slice(0, 10)}é${valid.slice(11)}`],
  // header
  ["a header that is not JSON", () => signRaw("{kid", PAYLOAD)],
  ["a header that is an array", () => signRaw(`[${HEADER}]`, PAYLOAD)],
  ["a header that is a string", () => signRaw('"RS256"', PAYLOAD)],
  ["alg none", () => mint({ header: { alg: "none" } })],
  ["alg missing", () => mint({ header: { alg: undefined } })],
  ["alg rs256 (case)", () => mint({ header: { alg: "rs256" } })],
  ["alg RS512", () => mint({ header: { alg: "RS512" } })],
  ["alg PS256", () => mint({ header: { alg: "PS256" } })],
  ["alg ES256", () => mint({ header: { alg: "ES256" } })],
  ["alg HS256", () => mint({ header: { alg: "HS256" } })],
  ["typ at+jwt", () => mint({ header: { typ: "at+jwt" } })],
  ["a crit header", () => mint({ header: { crit: ["exp"] } })],
  ["kid missing", () => mint({ header: { kid: undefined } })],
  ["kid a number", () => mint({ header: { kid: 1 } })],
  ["kid unknown", () => mint({ header: { kid: "other-kid" } })],
  [
    "a duplicate alg",
    () => signRaw('{"kid":"kid-primary-2048","alg":"none","alg":"RS256"}', PAYLOAD),
  ],
  ["a duplicate kid", () => signRaw('{"kid":"x","alg":"RS256","kid":"kid-primary-2048"}', PAYLOAD)],
  // payload
  ["a payload that is not JSON", () => signRaw(HEADER, "{sub")],
  ["a payload that is an array", () => signRaw(HEADER, `[${PAYLOAD}]`)],
  ["a payload that is a string", () => signRaw(HEADER, '"sub"')],
  ["a payload that is a number", () => signRaw(HEADER, "42")],
  ["a payload that is null", () => signRaw(HEADER, "null")],
  ["two iss", () => signRaw(HEADER, PAYLOAD.replace("{", '{"iss":"https://evil.example",'))],
  ["two exp", () => signRaw(HEADER, PAYLOAD.replace("{", `{"exp":${NOW_SEC - 3600},`))],
  ["an escaped duplicate", () => signRaw(HEADER, PAYLOAD.replace("{", '{"\\u0069ss":"x",'))],
  [
    "two unrelated claims",
    () => signRaw(HEADER, PAYLOAD.replace("{", '{"custom:role":"a","custom:role":"b",')),
  ],
  ["exp missing", () => mint({ payload: { exp: undefined } })],
  ["exp a string", () => mint({ payload: { exp: String(NOW_SEC + 3600) } })],
  ["exp null", () => mint({ payload: { exp: null } })],
  ["exp infinite (1e400)", () => signRaw(HEADER, PAYLOAD.replace(/"exp":\d+/, '"exp":1e400'))],
  ["iat missing", () => mint({ payload: { iat: undefined } })],
  ["iat a string", () => mint({ payload: { iat: String(NOW_SEC) } })],
  ["iat null", () => mint({ payload: { iat: null } })],
  ["nbf a string", () => mint({ payload: { nbf: String(NOW_SEC) } })],
  ["nbf null", () => mint({ payload: { nbf: null } })],
  ["nbf -infinite", () => signRaw(HEADER, PAYLOAD.replace("{", '{"nbf":-1e400,'))],
  ["expired", () => mint({ payload: { exp: NOW_SEC - 60 } })],
  ["not yet valid", () => mint({ payload: { nbf: NOW_SEC + 60 } })],
  ["issued in the future", () => mint({ payload: { iat: NOW_SEC + 60 } })],
  // signature
  [
    "a signature from an unpinned key with the pinned kid",
    () => mint({ key: { ...attacker, kid: KID } }),
  ],
  [
    "a signature of another token",
    () => withSignature(valid, signatureOf(mint({ payload: { jti: "j2" } }))),
  ],
  ["a flipped signature bit", () => withSignature(valid, flipFirst(validSignature))],
  ["HS256 with the public key as secret", () => hs256WithPublicKey()],
  // claims
  [
    "a wrong iss",
    () => mint({ payload: { iss: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other" } }),
  ],
  ["an iss with a trailing slash", () => mint({ payload: { iss: `${ISSUER}/` } })],
  ["iss missing", () => mint({ payload: { iss: undefined } })],
  ["an id token (access expected)", () => mint({ claims: idClaims() })],
  ["token_use missing", () => mint({ payload: { token_use: undefined } })],
  ["a wrong client_id", () => mint({ payload: { client_id: OTHER_CLIENT_ID } })],
  ["client_id missing", () => mint({ payload: { client_id: undefined } })],
  ["client_id an array", () => mint({ payload: { client_id: [CLIENT_ID] } })],
  ["sub missing", () => mint({ payload: { sub: undefined } })],
  ["sub empty", () => mint({ payload: { sub: "" } })],
  ["sub a number", () => mint({ payload: { sub: 42 } })],
  ["jti a number", () => mint({ payload: { jti: 7 } })],
  ["origin_jti an object", () => mint({ payload: { origin_jti: { id: "x" } } })],
  ["username a number", () => mint({ payload: { username: 1 } })],
  ["scope an array", () => mint({ payload: { scope: ["profile/read"] } })],
  ["cognito:groups a string", () => mint({ payload: { "cognito:groups": "readers" } })],
  ["cognito:groups with a number", () => mint({ payload: { "cognito:groups": ["readers", 1] } })],
  ["auth_time a string", () => mint({ payload: { auth_time: "1" } })],
];

/** A valid payload segment containing both `-` and `_`. */
const SYMBOLS = b64url(JSON.stringify(accessClaims({ note: "~~~???" })));

function padded(segment: string): string {
  return segment.length % 4 === 0 ? segment : `${segment}${"=".repeat(4 - (segment.length % 4))}`;
}

function to4nPlus1(segment: string): string {
  return segment + "A".repeat((5 - (segment.length % 4)) % 4 || 4);
}

function tweakLast(segment: string): string {
  // 256 bytes → 342 characters: the last one carries 4 bits plus 2 unused ones.
  const last = segment.charCodeAt(segment.length - 1);
  return segment.slice(0, -1) + String.fromCharCode(last + 1);
}

function flipFirst(segment: string): string {
  return (segment.startsWith("A") ? "B" : "A") + segment.slice(1);
}

function hs256WithPublicKey(): string {
  const pem = signingKey().publicKey.export({ format: "pem", type: "spki" });
  const input = `${b64url(JSON.stringify({ kid: KID, alg: "HS256" }))}.${b64url(PAYLOAD)}`;
  return `${input}.${crypto.createHmac("sha256", pem).update(input).digest("base64url")}`;
}

describe("each check, failing alone", () => {
  it.each(invalidCases)("refuses a token with %s (invalid_token)", async (_name, make) => {
    const verifier = createVerifier(verifierOptions());
    expect(await outcome(verifier, make())).toBe("invalid_token");
  });

  it("builds the strict-encoding cases from segments the decoder would accept", () => {
    const decoded = (seg: string): string => Buffer.from(seg, "base64url").toString("hex");
    expect(SYMBOLS).toMatch(/-/);
    expect(SYMBOLS).toMatch(/_/);
    expect(padded(validHeader)).toMatch(/=$/);
    expect(decoded(padded(validHeader))).toBe(decoded(validHeader));
    expect(to4nPlus1(validPayload).length % 4).toBe(1);
    expect(decoded(to4nPlus1(validPayload))).toBe(decoded(validPayload));
    expect(decoded(tweakLast(validSignature))).toBe(decoded(validSignature));
    expect(decoded(SYMBOLS.replaceAll("-", "+"))).toBe(decoded(SYMBOLS));
  });

  it("accepts the control token of the strict-encoding cases", async () => {
    const verifier = createVerifier(verifierOptions());
    expect(await outcome(verifier, signSegments(validHeader, SYMBOLS))).toBe("accepted");
  });

  it("refuses a non-string", async () => {
    const verifier = createVerifier(verifierOptions());
    expect(await outcome(verifier, 42 as unknown as string)).toBe("invalid_token");
  });

  it("refuses a kid over 128 characters before any key lookup", async () => {
    const pinned = signingKey().publicKey;
    const get = jest.fn(() => pinned); // a store that would vouch for any kid
    const verifier = createVerifier(verifierOptions({ keys: { get, kids: [], version: 1 } }));
    expect(await outcome(verifier, mint({ header: { kid: "k".repeat(128) } }))).toBe("accepted");
    expect(await outcome(verifier, mint({ header: { kid: "k".repeat(129) } }))).toBe(
      "invalid_token",
    );
    expect(get).toHaveBeenCalledTimes(1);
  });

  it("checks typ only when present (control for the typ case)", async () => {
    const verifier = createVerifier(verifierOptions());
    expect(await outcome(verifier, mint({ header: { typ: undefined } }))).toBe("accepted");
  });

  it.each([
    ["an access token (id expected)", mint()],
    ["a wrong aud", mint({ claims: idClaims({ aud: OTHER_CLIENT_ID }) })],
    ["aud an array", mint({ claims: idClaims({ aud: [CLIENT_ID] }) })],
    ["aud missing", mint({ claims: idClaims({ aud: undefined }) })],
  ])("an id verifier refuses %s", async (_name, token) => {
    const verifier = createVerifier(verifierOptions({ tokenUse: "id" }));
    expect(await outcome(verifier, token)).toBe("invalid_token");
  });

  it.each([
    ["malformed", "abc.def.ghi!"],
    ["with an unknown kid", mint({ header: { kid: "other-kid" } })],
    ["expired", mint({ payload: { exp: NOW_SEC - 60 } })],
    ["not yet valid", mint({ payload: { nbf: NOW_SEC + 60 } })],
    ["with a forbidden alg", mint({ header: { alg: "none" } })],
    ["with duplicate claims", signRaw(HEADER, PAYLOAD.replace("{", '{"exp":1,'))],
  ])("does no RSA work for a token %s", async (_name, token) => {
    const verifier = createVerifier(verifierOptions());
    expect(await outcome(verifier, token)).toBe("invalid_token");
    expect(verifySpy).not.toHaveBeenCalled();
  });

  it("verifies the signature exactly once per new token", async () => {
    const verifier = createVerifier(verifierOptions({ cache: false }));
    await verifier.verify(mint());
    expect(verifySpy).toHaveBeenCalledTimes(1);
    expect(verifySpy.mock.calls[0]?.[0]).toBe("RSA-SHA256");
  });

  it("ignores jku, x5u, jwk and x5c in the header (keys come only from the store)", async () => {
    const verifier = createVerifier(verifierOptions());
    const urls = { jku: "http://127.0.0.1:1/k", x5u: "http://127.0.0.1:1/c", x5c: ["AAAA"] };
    const honest = mint({ header: { ...urls, jwk: signingKey().jwk } });
    expect(await outcome(verifier, honest)).toBe("accepted");
    const forged = mint({ key: { ...attacker, kid: KID }, header: { ...urls, jwk: attacker.jwk } });
    expect(await outcome(verifier, forged)).toBe("invalid_token");
  });
});

describe("scopes and groups", () => {
  it("requires every configured scope", async () => {
    const verifier = createVerifier(verifierOptions({ scopes: ["profile/read"] }));
    expect(await outcome(verifier, mint())).toBe("accepted");
    const both = createVerifier(verifierOptions({ scopes: ["profile/read", "profile/write"] }));
    expect(await outcome(both, mint())).toBe("insufficient_scope");
    expect(await outcome(verifier, mint({ payload: { scope: undefined } }))).toBe(
      "insufficient_scope",
    );
    expect(await outcome(verifier, mint({ payload: { scope: "profile/reader" } }))).toBe(
      "insufficient_scope",
    );
  });

  it("requires one of the configured groups", async () => {
    const verifier = createVerifier(verifierOptions({ groups: ["admins", "readers"] }));
    expect(await outcome(verifier, mint())).toBe("accepted");
    const admins = createVerifier(verifierOptions({ groups: ["admins"] }));
    expect(await outcome(admins, mint())).toBe("insufficient_scope");
    expect(await outcome(verifier, mint({ payload: { "cognito:groups": undefined } }))).toBe(
      "insufficient_scope",
    );
    expect(await outcome(verifier, mint({ payload: { "cognito:groups": [] } }))).toBe(
      "insufficient_scope",
    );
  });

  it("answers invalid_token, not insufficient_scope, for an invalid token", async () => {
    const verifier = createVerifier(verifierOptions({ scopes: ["profile/write"] }));
    expect(await outcome(verifier, mint({ payload: { exp: NOW_SEC - 60 } }))).toBe("invalid_token");
  });
});

describe("clock skew", () => {
  const skew = 5;
  const exp = NOW_SEC + 100;
  const iat = NOW_SEC - 100;
  const nbf = NOW_SEC - 50;
  const token = mint({ payload: { exp, iat, nbf } });

  function at(seconds: number, clockSkewSeconds?: number): TokenVerifier {
    const clock = new ManualClock();
    clock.setSeconds(seconds);
    return createVerifier(verifierOptions({ clock, clockSkewSeconds, cache: false }));
  }

  it.each([
    ["just before exp + skew", exp + skew - 0.001, "accepted"],
    ["at exp + skew", exp + skew, "invalid_token"],
    ["at nbf - skew", nbf - skew, "accepted"],
    ["just before nbf - skew", nbf - skew - 0.001, "invalid_token"],
  ])("%s", async (_name, now, expected) => {
    expect(await outcome(at(now), token)).toBe(expected);
  });

  it("applies to iat in the future", async () => {
    const future = mint({ payload: { iat: NOW_SEC + 5 } });
    expect(await outcome(at(NOW_SEC), future)).toBe("accepted");
    expect(await outcome(at(NOW_SEC - 0.001), future)).toBe("invalid_token");
  });

  it("can be set from 0 to 300 seconds", async () => {
    expect(await outcome(at(exp, 0), token)).toBe("invalid_token");
    expect(await outcome(at(exp - 0.001, 0), token)).toBe("accepted");
    expect(await outcome(at(exp + 299, 300), token)).toBe("accepted");
    expect(() => at(exp, 301)).toThrow(ConfigError);
    expect(() => at(exp, -1)).toThrow(ConfigError);
  });
});

describe("revocation", () => {
  const store = (): MemoryRevocationStore =>
    new MemoryRevocationStore({ clock: new ManualClock() });

  it.each(REVOCATION_CASES)("refuses a token revoked by %s", async (_name, revoke) => {
    const revocations = store();
    const verifier = createVerifier(verifierOptions({ revocations }));
    expect(await outcome(verifier, mint())).toBe("accepted");
    revoke(revocations);
    expect(await outcome(verifier, mint())).toBe("invalid_token");
  });

  it("accepts tokens issued after a subject cutoff", async () => {
    const revocations = store();
    revocations.revokeSubject(accessClaims().sub as string, NOW_SEC - 120, NOW_SEC + 3600);
    const verifier = createVerifier(verifierOptions({ revocations }));
    expect(await outcome(verifier, mint())).toBe("accepted");
  });

  it("works with an asynchronous store", async () => {
    const revoked = new Set<string>();
    const asyncStore: RevocationStore = {
      revokeToken: (id) => {
        revoked.add(id);
        return Promise.resolve();
      },
      revokeSubject: () => Promise.resolve(),
      isRevoked: (c) => Promise.resolve(revoked.has(c.jti ?? "")),
    };
    const verifier = createVerifier(verifierOptions({ revocations: asyncStore }));
    expect(verifier.check(mint())).toBeInstanceOf(Promise);
    expect(await outcome(verifier, mint())).toBe("accepted");
    await asyncStore.revokeToken(accessClaims().jti as string, NOW_SEC + 3600);
    expect(await outcome(verifier, mint())).toBe("invalid_token");
  });

  it.each([
    ["undefined", () => undefined],
    ["a string", () => "no"],
    [
      "a thenable of true",
      () => ({
        then: (ok: (v: boolean) => void) => {
          ok(true);
        },
      }),
    ],
    ["a promise of undefined", () => Promise.resolve(undefined)],
  ])("fails closed when the store answers %s", async (_name, answer) => {
    const odd = {
      revokeToken: () => undefined,
      revokeSubject: () => undefined,
      isRevoked: answer,
    } as unknown as RevocationStore;
    const verifier = createVerifier(verifierOptions({ revocations: odd }));
    expect(await outcome(verifier, mint())).toBe("invalid_token");
  });

  it("fails closed when the store fails", async () => {
    const failure = new Error("store down");
    const broken: RevocationStore = {
      revokeToken: () => undefined,
      revokeSubject: () => undefined,
      isRevoked: () => Promise.reject(failure),
    };
    const verifier = createVerifier(verifierOptions({ revocations: broken }));
    await expect(verifier.verify(mint())).rejects.toBe(failure);
  });
});

describe("verified-token cache", () => {
  /** Verifies `token` twice: the cache admits a token on its second verification. */
  async function cached(verifier: TokenVerifier, token: string): Promise<void> {
    await verifier.verify(token);
    await verifier.verify(token);
  }

  it("caches a token on its second verification and serves it without RSA work", async () => {
    const verifier = createVerifier(verifierOptions());
    const token = mint();
    await verifier.verify(token); // remembered, not cached
    expect(verifier.cacheStats()).toMatchObject({ entries: 0, misses: 1 });
    const second = await verifier.verify(token);
    const third = await verifier.verify(token);
    expect(third).toBe(second);
    expect(verifySpy).toHaveBeenCalledTimes(2);
    expect(verifier.cacheStats()).toMatchObject({ entries: 1, hits: 1, misses: 2 });
  });

  it("stops serving a token the moment it expires", async () => {
    const clock = new ManualClock();
    const verifier = createVerifier(verifierOptions({ clock, clockSkewSeconds: 0 }));
    const token = mint({ payload: { exp: NOW_SEC + 60 } });
    expect(await outcome(verifier, token)).toBe("accepted");
    expect(await outcome(verifier, token)).toBe("accepted"); // cached from here on
    clock.setSeconds(NOW_SEC + 59.999);
    expect(await outcome(verifier, token)).toBe("accepted");
    expect(verifier.cacheStats().hits).toBe(1);
    clock.setSeconds(NOW_SEC + 60);
    expect(await outcome(verifier, token)).toBe("invalid_token");
    expect(verifier.cacheStats().entries).toBe(0);
  });

  it("applies the skew consistently to a cached token", async () => {
    const clock = new ManualClock();
    const verifier = createVerifier(verifierOptions({ clock }));
    const token = mint({ payload: { exp: NOW_SEC + 60 } });
    await cached(verifier, token);
    clock.setSeconds(NOW_SEC + 64); // past exp (not served from cache), within the 5 s skew
    expect(await outcome(verifier, token)).toBe("accepted");
    clock.setSeconds(NOW_SEC + 65);
    expect(await outcome(verifier, token)).toBe("invalid_token");
  });

  it("stops serving a token the moment it is revoked", async () => {
    const revocations = new MemoryRevocationStore({ clock: new ManualClock() });
    const verifier = createVerifier(verifierOptions({ revocations }));
    const token = mint();
    await cached(verifier, token);
    revocations.revokeToken(accessClaims().jti as string, NOW_SEC + 3600);
    expect(await outcome(verifier, token)).toBe("invalid_token");
  });

  it("is keyed on the whole token: a changed signature is not served", async () => {
    const verifier = createVerifier(verifierOptions());
    await cached(verifier, valid);
    expect(await outcome(verifier, withSignature(valid, flipFirst(validSignature)))).toBe(
      "invalid_token",
    );
    expect(await outcome(verifier, valid.slice(0, -2))).toBe("invalid_token");
  });

  it("never serves an entry to another token ending like it (same index)", async () => {
    const verifier = createVerifier(verifierOptions());
    await cached(verifier, valid);
    const sameEnd = [
      `${validHeader}.${flipFirst(validPayload)}.${validSignature}`,
      `${flipFirst(validHeader)}.${validPayload}.${validSignature}`,
      `${validHeader}.${validPayload}.${flipFirst(validSignature)}`,
    ];
    for (const token of sameEnd) {
      expect(token.slice(-43)).toBe(valid.slice(-43));
      expect(await outcome(verifier, token)).toBe("invalid_token");
    }
    expect(await outcome(verifier, valid)).toBe("accepted"); // the entry survived them
    expect(verifier.cacheStats()).toMatchObject({ entries: 1, hits: 1 });
  });

  it("serves a hit to an equal token held in a different string", async () => {
    const verifier = createVerifier(verifierOptions());
    await cached(verifier, valid);
    const copy = Buffer.from(valid, "latin1").toString("latin1");
    expect(await outcome(verifier, copy)).toBe("accepted");
    expect(verifier.cacheStats().hits).toBe(1);
  });

  it("does not cache refused tokens", async () => {
    const verifier = createVerifier(verifierOptions({ scopes: ["profile/write"] }));
    const token = mint();
    await outcome(verifier, token);
    await outcome(verifier, token);
    expect(verifySpy).toHaveBeenCalledTimes(2);
    expect(verifier.cacheStats().entries).toBe(0);
  });

  describe("with a file key store", () => {
    let dir: string;
    let path: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), "verifier-test-"));
      path = join(dir, "jwks.json");
      writeFileSync(path, JSON.stringify({ keys: [signingKey().jwk] }));
    });
    afterEach(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    it("is cleared when the keys are reloaded", async () => {
      const keys = new FileKeyStore(path);
      const verifier = createVerifier(verifierOptions({ keys }));
      const token = mint();
      await verifier.verify(token);
      keys.reload(); // same keys, new version: verified again
      expect(await outcome(verifier, token)).toBe("accepted");
      expect(verifySpy).toHaveBeenCalledTimes(2);
      writeFileSync(path, JSON.stringify({ keys: [signingKey("kid-rotated").jwk] }));
      keys.reload(); // the token's key is no longer pinned
      expect(await outcome(verifier, token)).toBe("invalid_token");
      expect(verifier.cacheStats().entries).toBe(0);
    });
  });

  it("is bounded by entry count (least recently used evicted)", async () => {
    const verifier = createVerifier(verifierOptions({ cache: { maxEntries: 3 } }));
    const tokens = [1, 2, 3, 4, 5].map((i) => mint({ payload: { jti: `jti-${i}` } }));
    for (const token of tokens) await cached(verifier, token);
    expect(verifier.cacheStats().entries).toBe(3);
    verifySpy.mockClear();
    await verifier.verify(tokens[4] ?? ""); // kept
    expect(verifySpy).not.toHaveBeenCalled();
    await verifier.verify(tokens[0] ?? ""); // evicted
    expect(verifySpy).toHaveBeenCalledTimes(1);
  });

  it("evicts the least recently used token, not the oldest", async () => {
    const verifier = createVerifier(verifierOptions({ cache: { maxEntries: 3 } }));
    const [t1, t2, t3, t4] = [1, 2, 3, 4].map((i) => mint({ payload: { jti: `lru-${i}` } }));
    for (const token of [t1, t2, t3]) await cached(verifier, token ?? "");
    await verifier.verify(t1 ?? ""); // a hit: now the most recently used
    await cached(verifier, t4 ?? "");
    verifySpy.mockClear();
    await verifier.verify(t1 ?? ""); // used recently: kept
    expect(verifySpy).not.toHaveBeenCalled();
    await verifier.verify(t2 ?? ""); // least recently used: evicted
    expect(verifySpy).toHaveBeenCalledTimes(1);
  });

  it("is bounded by bytes", async () => {
    const probe = createVerifier(verifierOptions());
    await cached(probe, mint());
    const perEntry = probe.cacheStats().bytes;
    expect(perEntry).toBeGreaterThan(mint().length);
    const maxBytes = 2 * perEntry + 10;
    const verifier = createVerifier(verifierOptions({ cache: { maxBytes } }));
    for (const i of [1, 2, 3, 4]) await cached(verifier, mint({ payload: { jti: `jti-${i}` } }));
    const stats = verifier.cacheStats();
    expect(stats.entries).toBe(2);
    expect(stats.bytes).toBeLessThanOrEqual(maxBytes);
  });

  it("does not cache an entry larger than the byte bound", async () => {
    const verifier = createVerifier(verifierOptions({ cache: { maxBytes: 100 } }));
    await cached(verifier, mint());
    expect(verifier.cacheStats().entries).toBe(0);
  });

  it("can be turned off", async () => {
    const verifier = createVerifier(verifierOptions({ cache: false }));
    const token = mint();
    await verifier.verify(token);
    await verifier.verify(token);
    expect(verifySpy).toHaveBeenCalledTimes(2);
    expect(verifier.cacheStats()).toEqual({ entries: 0, bytes: 0, hits: 0, misses: 0 });
  });
});

// Every option's defaults, bounds and refusals: test/auth/verifier-options.test.ts.
describe("options", () => {
  it("are resolved once, by resolveVerifierOptions, refusals included", () => {
    const options = verifierOptions({ scopes: ["profile/read"], cache: { maxEntries: 3 } });
    expect(createVerifier(options).config).toEqual(resolveVerifierOptions(options));
    expect(refusalOf(createVerifier, { ...options, tokenUse: "both" }).coded).toEqual([
      "malformed",
      "tokenUse",
    ]);
  });
});
