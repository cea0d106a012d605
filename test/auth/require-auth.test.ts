import { createHmac } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Request } from "express";
import request from "supertest";
import { ConfigError } from "../../src/errors";
import { MemoryRevocationStore, type RevocationStore } from "../../src/auth/revocation";
import { bearerToken, requireAuth } from "../../src/auth/require-auth";
import { createVerifier } from "../../src/auth/verifier";
import {
  accessClaims,
  b64url,
  idClaims,
  ISSUER,
  KID,
  ManualClock,
  mint,
  NOW_SEC,
  OTHER_CLIENT_ID,
  protectedApp,
  signRaw,
  signingKey,
  verifierOptions,
  REVOCATION_CASES,
} from "../helpers/auth";

const INVALID = 'Bearer error="invalid_token"';
const FORBIDDEN = 'Bearer error="insufficient_scope"';
const attacker = signingKey("attacker-key");
const HEADER = JSON.stringify({ kid: KID, alg: "RS256" });
const PAYLOAD = JSON.stringify(accessClaims());

/** Counts every request it receives: header URLs must never be fetched. */
let keyServer: Server;
let keyServerHits = 0;
let keyServerUrl = "";
beforeAll(async () => {
  keyServer = createServer((_req, res) => {
    keyServerHits++;
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ keys: [attacker.jwk] }));
  });
  await new Promise<void>((done) => keyServer.listen(0, "127.0.0.1", done));
  keyServerUrl = `http://127.0.0.1:${(keyServer.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((done) => keyServer.close(done));
});

function unsigned(header: object, payload: object, signature = ""): string {
  return `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}.${signature}`;
}

function hs256(secret: string | Buffer): string {
  const input = `${b64url(JSON.stringify({ kid: KID, alg: "HS256", typ: "JWT" }))}.${b64url(PAYLOAD)}`;
  return `${input}.${createHmac("sha256", secret).update(input).digest("base64url")}`;
}

/** Each entry builds its token when the test runs (the key server's port is known by then). */
function attackCorpus(): [string, () => string][] {
  const pem = signingKey().publicKey.export({ format: "pem", type: "spki" }).toString();
  const valid = mint();
  const sig = valid.slice(valid.lastIndexOf(".") + 1);
  const urlHeaders = () => ({
    jku: `${keyServerUrl}/jwks.json`,
    x5u: `${keyServerUrl}/cert.pem`,
    jwk: attacker.jwk,
    x5c: ["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"],
  });
  return [
    ["alg none without signature", () => unsigned({ alg: "none", kid: KID }, accessClaims())],
    ["alg none with a signature", () => unsigned({ alg: "none", kid: KID }, accessClaims(), sig)],
    ["HS256 with the public key PEM as secret", () => hs256(pem)],
    ["RS512 header", () => mint({ header: { alg: "RS512" } })],
    ["PS256 header", () => mint({ header: { alg: "PS256" } })],
    ["ES256 header", () => mint({ header: { alg: "ES256" } })],
    ["no kid", () => mint({ header: { kid: undefined } })],
    ["a numeric kid", () => mint({ header: { kid: 12 } })],
    ["a kid with ../", () => mint({ header: { kid: "../../../../dev/null" } })],
    ["a kid with SQL", () => mint({ header: { kid: "x' OR '1'='1'; --" } })],
    ["an unknown kid", () => mint({ header: { kid: "unknown" } })],
    [
      "jku to a local server, attacker key",
      () => mint({ key: attacker, header: { jku: urlHeaders().jku } }),
    ],
    [
      "x5u to a local server, attacker key",
      () => mint({ key: attacker, header: { x5u: urlHeaders().x5u } }),
    ],
    [
      "the attacker key in a jwk header",
      () => mint({ key: attacker, header: { jwk: attacker.jwk } }),
    ],
    [
      "pinned kid, attacker key in jwk",
      () => mint({ key: { ...attacker, kid: KID }, header: urlHeaders() }),
    ],
    ["x5c header, attacker key", () => mint({ key: attacker, header: { x5c: urlHeaders().x5c } })],
    ["two segments", () => valid.slice(0, valid.lastIndexOf("."))],
    ["four segments", () => `${valid}.${sig}`],
    ["non-base64url characters", () => valid.replace(/\./, ".*")],
    ["= padding", () => `${valid}=`],
    ["a payload that is an array", () => signRaw(HEADER, "[1,2]")],
    ["a payload that is a string", () => signRaw(HEADER, '"admin"')],
    ["a payload that is a number", () => signRaw(HEADER, "1")],
    ["two iss", () => signRaw(HEADER, PAYLOAD.replace("{", '{"iss":"https://evil.example",'))],
    ["two exp", () => signRaw(HEADER, PAYLOAD.replace("{", `{"exp":${NOW_SEC + 1e9},`))],
    ["exp a string", () => mint({ payload: { exp: "9999999999" } })],
    ["exp null", () => mint({ payload: { exp: null } })],
    ["exp NaN-ish", () => signRaw(HEADER, PAYLOAD.replace(/"exp":\d+/, '"exp":1e999'))],
    ["nbf a string", () => mint({ payload: { nbf: "0" } })],
    ["iat null", () => mint({ payload: { iat: null } })],
    ["expired", () => mint({ payload: { exp: NOW_SEC - 3600 } })],
    ["not yet valid", () => mint({ payload: { nbf: NOW_SEC + 3600 } })],
    ["a wrong iss", () => mint({ payload: { iss: `${ISSUER}x` } })],
    ["a wrong client_id", () => mint({ payload: { client_id: OTHER_CLIENT_ID } })],
    ["an id token", () => mint({ claims: idClaims() })],
    ["an unpinned key with the right kid", () => mint({ key: { ...attacker, kid: KID } })],
  ];
}

describe("requireAuth through Express", () => {
  const app = () => protectedApp(verifierOptions());

  it("admits a valid token and puts the frozen claims on req.auth", async () => {
    const res = await request(app()).get("/protected").set("Authorization", `Bearer ${mint()}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ sub: accessClaims().sub, frozen: true });
  });

  it("accepts the scheme in any case", async () => {
    const res = await request(app()).get("/protected").set("Authorization", `bEaReR ${mint()}`);
    expect(res.status).toBe(200);
  });

  it.each(attackCorpus())("refuses %s: 401 invalid_token with a challenge", async (_name, make) => {
    const token = make();
    expect(token).toContain(".");
    const res = await request(app()).get("/protected").set("Authorization", `Bearer ${token}`);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("invalid_token");
    expect(res.headers["www-authenticate"]).toBe(INVALID);
    expect(keyServerHits).toBe(0);
  });

  it("never fetches header URLs (jku, x5u) and ignores them on a valid token", async () => {
    const honest = mint({ header: { jku: `${keyServerUrl}/jwks.json`, x5u: `${keyServerUrl}/c` } });
    const res = await request(app()).get("/protected").set("Authorization", `Bearer ${honest}`);
    expect(res.status).toBe(200);
    expect(keyServerHits).toBe(0);
  });

  it.each([
    ["no Authorization header", undefined],
    ["an empty header", ""],
    ["Basic credentials", "Basic dXNlcjpwYXNz"],
    ["the scheme alone", "Bearer"],
    ["the scheme and a space", "Bearer "],
    ["two spaces", `Bearer  ${mint()}`],
    ["no space", `Bearer${mint()}`],
    ["a token in another scheme", `Token ${mint()}`],
    ["an 8 KB bearer header", `Bearer ${"a".repeat(8 * 1024)}`],
  ])("refuses %s with 401 and a challenge", async (_name, header) => {
    const req = request(app()).get("/protected");
    const res = header === undefined ? await req : await req.set("Authorization", header);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("invalid_token");
    expect(res.headers["www-authenticate"]).toBe(INVALID);
  });

  it("never reads a token from the query string or a cookie", async () => {
    const token = mint();
    const res = await request(app())
      .get(`/protected?access_token=${token}`)
      .set("Cookie", `access_token=${token}; token=${token}`);
    expect(res.status).toBe(401);
    expect(res.headers["www-authenticate"]).toBe(INVALID);
  });

  it("answers 403 insufficient_scope with its challenge", async () => {
    const scoped = protectedApp(verifierOptions({ scopes: ["profile/write"] }));
    const res = await request(scoped).get("/protected").set("Authorization", `Bearer ${mint()}`);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("insufficient_scope");
    expect(res.headers["www-authenticate"]).toBe(FORBIDDEN);
    const grouped = protectedApp(verifierOptions({ groups: ["admins"] }));
    const res2 = await request(grouped).get("/protected").set("Authorization", `Bearer ${mint()}`);
    expect(res2.status).toBe(403);
    expect(res2.headers["www-authenticate"]).toBe(FORBIDDEN);
  });

  it.each(REVOCATION_CASES)("refuses a token revoked by %s", async (_name, revoke) => {
    const revocations = new MemoryRevocationStore({ clock: new ManualClock() });
    const revocable = protectedApp(verifierOptions({ revocations }));
    const token = mint();
    expect(
      (await request(revocable).get("/protected").auth(token, { type: "bearer" })).status,
    ).toBe(200);
    revoke(revocations);
    const res = await request(revocable).get("/protected").auth(token, { type: "bearer" });
    expect(res.status).toBe(401);
    expect(res.headers["www-authenticate"]).toBe(INVALID);
  });

  it("works with an asynchronous revocation store", async () => {
    const asyncStore: RevocationStore = {
      revokeToken: () => Promise.resolve(),
      revokeSubject: () => Promise.resolve(),
      isRevoked: (c) => Promise.resolve(c.jti === "revoked"),
    };
    const asyncApp = protectedApp(verifierOptions({ revocations: asyncStore }));
    const ok = await request(asyncApp).get("/protected").auth(mint(), { type: "bearer" });
    expect(ok.status).toBe(200);
    const revoked = mint({ payload: { jti: "revoked" } });
    const res = await request(asyncApp).get("/protected").auth(revoked, { type: "bearer" });
    expect(res.status).toBe(401);
    expect(res.headers["www-authenticate"]).toBe(INVALID);
  });

  it.each([
    [
      "throws",
      () => {
        throw new Error("down");
      },
    ],
    ["rejects", () => Promise.reject(new Error("down"))],
  ])("refuses (500, no challenge) when the revocation store %s", async (_name, isRevoked) => {
    const broken = { revokeToken: () => undefined, revokeSubject: () => undefined, isRevoked };
    const brokenApp = protectedApp(verifierOptions({ revocations: broken as RevocationStore }));
    const res = await request(brokenApp).get("/protected").auth(mint(), { type: "bearer" });
    expect(res.status).toBe(500);
    expect(res.headers["www-authenticate"]).toBeUndefined();
  });

  it("admits only after a non-native thenable store answers false", async () => {
    const thenable = (value: boolean) => ({
      then: (ok: (v: boolean) => void) => {
        ok(value);
      },
    });
    const store = (value: boolean) =>
      ({
        revokeToken: () => undefined,
        revokeSubject: () => undefined,
        isRevoked: () => thenable(value),
      }) as unknown as RevocationStore;
    const open = protectedApp(verifierOptions({ revocations: store(false) }));
    expect((await request(open).get("/protected").auth(mint(), { type: "bearer" })).status).toBe(
      200,
    );
    const closed = protectedApp(verifierOptions({ revocations: store(true) }));
    const res = await request(closed).get("/protected").auth(mint(), { type: "bearer" });
    expect(res.status).toBe(401);
    expect(res.headers["www-authenticate"]).toBe(INVALID);
  });

  it("shares a verifier passed in, cache included", async () => {
    const verifier = createVerifier(verifierOptions());
    const shared = protectedApp({ verifier });
    const token = mint();
    // Admitted on its second verification, served from the cache on the third.
    for (let i = 0; i < 3; i++)
      await request(shared).get("/protected").auth(token, { type: "bearer" });
    expect(verifier.cacheStats()).toMatchObject({ entries: 1, hits: 1, misses: 2 });
  });

  it("(control) the key server does count a fetch, so zero hits above means none happened", async () => {
    const before = keyServerHits;
    await fetch(`${keyServerUrl}/jwks.json`);
    expect(keyServerHits).toBe(before + 1);
  });

  it("validates its options when built, not per request", () => {
    expect(() =>
      requireAuth({ ...verifierOptions(), tokenUse: undefined as unknown as "id" }),
    ).toThrow(ConfigError);
    expect(() => requireAuth({ verifier: {} as never })).toThrow(TypeError);
  });
});

describe("bearerToken", () => {
  const req = (authorization?: string): Pick<Request, "headers"> => ({
    headers: { authorization },
  });

  it("returns the token of a Bearer header", () => {
    expect(bearerToken(req("Bearer abc.def.ghi"))).toBe("abc.def.ghi");
    expect(bearerToken(req("bearer abc"))).toBe("abc");
  });

  it("accepts a 4096-character token and refuses a longer one", () => {
    expect(bearerToken(req(`Bearer ${"a".repeat(4096)}`))).toHaveLength(4096);
    expect(bearerToken(req(`Bearer ${"a".repeat(4097)}`))).toBeUndefined();
  });

  it("refuses a header over 4200 characters before looking at it", () => {
    expect(bearerToken(req(`Bearer ${"a".repeat(4194)}`))).toBeUndefined();
  });

  it.each([undefined, "", "Bearer", "Bearer ", "Bearer\tabc", "Bearerabc", "Basic abc", "MAC abc"])(
    "returns undefined for %p",
    (header) => {
      expect(bearerToken(req(header))).toBeUndefined();
    },
  );
});
