/** Every refusal has a coded reason: given to onReject, never to the client. */
import request from "supertest";
import { MemoryRevocationStore } from "../../src/auth/revocation";
import { REJECT_REASONS, type RejectReason } from "../../src/auth/rejections";
import type { VerifierOptions } from "../../src/auth/verifier";
import { DEFAULT_MESSAGE, STATUS_BY_CODE } from "../../src/errors";
import {
  ISSUER,
  ManualClock,
  NOW_SEC,
  OTHER_CLIENT_ID,
  idClaims,
  mint,
  protectedApp,
  signingKey,
  verifierOptions,
} from "../helpers/auth";

const good = mint();
const [head = "", body = "", signature = ""] = good.split(".");
const flipped = `${head}.${body}.${signature.startsWith("A") ? "B" : "A"}${signature.slice(1)}`;

interface Case {
  readonly name: string;
  readonly reason: RejectReason;
  readonly authorization?: string;
  readonly options?: Partial<VerifierOptions>;
}

const revoked = new MemoryRevocationStore({ clock: new ManualClock() });
revoked.revokeSubject("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", NOW_SEC, NOW_SEC + 3600);

const CASES: readonly Case[] = [
  { name: "no Authorization header", reason: "malformed" },
  { name: "not a JWS", reason: "malformed", authorization: "Bearer not-a-token" },
  {
    name: "header not RS256",
    reason: "malformed",
    authorization: `Bearer ${mint({ header: { alg: "HS256" } })}`,
  },
  {
    name: "exp not a number",
    reason: "malformed",
    authorization: `Bearer ${mint({ payload: { exp: "soon" } })}`,
  },
  {
    name: "kid not pinned",
    reason: "unknown_kid",
    authorization: `Bearer ${mint({ key: signingKey("kid-other") })}`,
  },
  { name: "signature altered", reason: "bad_signature", authorization: `Bearer ${flipped}` },
  {
    name: "expired",
    reason: "expired",
    authorization: `Bearer ${mint({ payload: { exp: NOW_SEC - 600 } })}`,
  },
  {
    name: "iat in the future",
    reason: "not_yet_valid",
    authorization: `Bearer ${mint({ payload: { iat: NOW_SEC + 600 } })}`,
  },
  {
    name: "nbf in the future",
    reason: "not_yet_valid",
    authorization: `Bearer ${mint({ payload: { nbf: NOW_SEC + 600 } })}`,
  },
  {
    name: "another issuer",
    reason: "wrong_issuer",
    authorization: `Bearer ${mint({ payload: { iss: `${ISSUER}x` } })}`,
  },
  {
    name: "another app client",
    reason: "wrong_client",
    authorization: `Bearer ${mint({ payload: { client_id: OTHER_CLIENT_ID } })}`,
  },
  {
    name: "an id token where access is required",
    reason: "wrong_token_use",
    authorization: `Bearer ${mint({ claims: idClaims() })}`,
  },
  {
    name: "revoked (global sign-out)",
    reason: "revoked",
    authorization: `Bearer ${good}`,
    options: { revocations: revoked },
  },
  {
    name: "scope missing",
    reason: "missing_scope",
    authorization: `Bearer ${good}`,
    options: { scopes: ["orders/write"] },
  },
  {
    name: "group missing",
    reason: "missing_group",
    authorization: `Bearer ${good}`,
    options: { groups: ["admins"] },
  },
];

describe("refusal reasons", () => {
  it("the table covers the whole taxonomy", () => {
    expect(new Set(CASES.map((c) => c.reason))).toEqual(new Set(REJECT_REASONS));
  });

  it.each(CASES)("$name → $reason, to the hook only", async (c) => {
    const heard: RejectReason[] = [];
    const app = protectedApp({
      ...verifierOptions(c.options),
      onReject: (reason) => {
        heard.push(reason);
      },
    });
    const call = request(app).get("/protected");
    const res = await (c.authorization === undefined
      ? call
      : call.set("Authorization", c.authorization));
    const code =
      c.reason === "missing_scope" || c.reason === "missing_group"
        ? "insufficient_scope"
        : "invalid_token";
    // The answer is the one generic refusal of its code, whatever the reason.
    expect(res.status).toBe(STATUS_BY_CODE[code]);
    expect(res.body).toEqual({ error: { code, message: DEFAULT_MESSAGE[code] } });
    expect(res.headers["www-authenticate"]).toBe(`Bearer error="${code}"`);
    expect(heard).toEqual([c.reason]);
  });

  it("a valid token calls no hook; a throwing hook changes nothing", async () => {
    const heard: RejectReason[] = [];
    const app = protectedApp({
      ...verifierOptions(),
      onReject: (reason) => {
        heard.push(reason);
        throw new Error("hook bug");
      },
    });
    expect(
      (await request(app).get("/protected").set("Authorization", `Bearer ${good}`)).status,
    ).toBe(200);
    expect(heard).toEqual([]);
    const refused = await request(app).get("/protected").set("Authorization", "Bearer x.y.z");
    expect(refused.status).toBe(401);
    expect(heard).toEqual(["malformed"]);
  });
});
