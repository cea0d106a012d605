/** Local mode's token handling on node:crypto (what replaced jsonwebtoken). */
import { generateKeyPairSync } from "node:crypto";
import { decodeJwt, JwtExpiredError, signRs256, verifyRs256 } from "../../src/local/jwt";

const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const other = generateKeyPairSync("rsa", { modulusLength: 2048 });
const NOW = 1_700_000_000;

describe("local/jwt", () => {
  it("signs RS256 with the kid, and verifies and decodes what it signed", () => {
    const token = signRs256({ sub: "u1", exp: NOW + 60 }, privateKey, "CognitoLocal");
    expect(decodeJwt(token)?.header).toEqual({ alg: "RS256", typ: "JWT", kid: "CognitoLocal" });
    expect(verifyRs256(token, publicKey, NOW)).toEqual({ sub: "u1", exp: NOW + 60 });
  });

  it("refuses an expired token with JwtExpiredError, another key's signature and alg none", () => {
    const expired = signRs256({ exp: NOW - 1 }, privateKey);
    expect(() => verifyRs256(expired, publicKey, NOW)).toThrow(JwtExpiredError);
    const forged = signRs256({ exp: NOW + 60 }, other.privateKey);
    expect(() => verifyRs256(forged, publicKey, NOW)).toThrow("bad signature");
    const [, payload] = forged.split(".");
    const none = `${Buffer.from('{"alg":"none"}').toString("base64url")}.${payload ?? ""}.`;
    expect(() => verifyRs256(none, publicKey, NOW)).toThrow("malformed token");
  });

  it("decodes nothing that is not a three-part JWT with JSON objects", () => {
    expect(decodeJwt("a.b")).toBeUndefined();
    expect(decodeJwt("e30.W10.sig")).toBeUndefined(); // payload is an array
    expect(decodeJwt("!!.e30.sig")).toBeUndefined();
  });
});
