/**
 * claimsOf reads the claims the session keeps from a token the gateway itself received from
 * Cognito: `sub` and `exp` required, the optional ones kept only with the right type, anything
 * malformed answered as nothing.
 */
import { claimsOf } from "../../src/session/claims";
import { accessClaims, b64url, idClaims, mint, signRaw } from "../helpers/auth";

describe("claimsOf", () => {
  it("keeps sub, exp, jti, origin_jti, email and the groups", () => {
    const claims = accessClaims();
    expect(claimsOf(mint())).toEqual({
      sub: claims.sub,
      exp: claims.exp,
      jti: claims.jti,
      origin_jti: claims.origin_jti,
      "cognito:groups": ["readers"],
    });
    expect(claimsOf(mint({ claims: idClaims() }))?.email).toBe("user@example.com");
  });

  it("drops optional claims of the wrong type", () => {
    const token = mint({ payload: { jti: 7, email: ["x"], "cognito:groups": ["ok", 3] } });
    const claims = claimsOf(token);
    expect(claims).toBeDefined();
    expect(Object.keys(claims ?? {}).sort()).toEqual(["exp", "origin_jti", "sub"]);
  });

  it.each([
    ["no sub", mint({ payload: { sub: undefined } })],
    ["a numeric sub", mint({ payload: { sub: 1 } })],
    ["a string exp", mint({ payload: { exp: "soon" } })],
    ["a payload that is not JSON", signRaw('{"alg":"RS256"}', "not json")],
    ["a payload that is an array", signRaw('{"alg":"RS256"}', "[1]")],
    ["two segments", `${b64url("{}")}.${b64url("{}")}`],
    ["garbage", "not-a-token"],
  ])("answers nothing for %s", (_label, token) => {
    expect(claimsOf(token)).toBeUndefined();
  });
});
