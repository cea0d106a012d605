import { GatewayError } from "../../src/errors";
import {
  loginBody,
  normaliseEmail,
  parseBody,
  prototypeKeyPath,
  registerBody,
  refreshBody,
} from "../../src/http/schemas";
import { errorOf } from "../helpers/config-error";

const refusal = (run: () => unknown): GatewayError => errorOf(GatewayError, run);

describe("normaliseEmail", () => {
  it("trims and lower-cases, so one address is one account", () => {
    expect(normaliseEmail("  Person@Example.COM ")).toBe("person@example.com");
  });
});

describe("parseBody", () => {
  it("answers the parsed body with the address normalised", () => {
    expect(parseBody(loginBody, { email: " A@Example.com", password: "x" })).toEqual({
      email: "a@example.com",
      password: "x",
    });
  });

  it("refuses unknown fields and bad values with invalid_request naming each field", () => {
    const error = refusal(() => parseBody(loginBody, { email: "nope", password: "", extra: 1 }));
    expect(error.code).toBe("invalid_request");
    const fields = (error.details ?? []).map((d) => d.field).sort();
    expect(fields).toEqual(["email", "extra", "password"]);
  });

  it("refuses a prototype key at any depth before the schema runs", () => {
    const body = JSON.parse(
      '{"email":"a@example.com","password":"x","attributes":{"__proto__":{}}}',
    );
    const error = refusal(() => parseBody(registerBody, body));
    expect(error.code).toBe("invalid_request");
    expect(error.details).toEqual([
      { field: "attributes.__proto__", problem: "is not an accepted field" },
    ]);
  });

  it("refuses a refresh token that is not token-shaped", () => {
    expect(refusal(() => parseBody(refreshBody, { refreshToken: "a b", username: "u" })).code).toBe(
      "invalid_request",
    );
  });

  it("treats a missing body as empty: required fields are named", () => {
    const fields = (refusal(() => parseBody(loginBody, undefined)).details ?? []).map(
      (d) => d.field,
    );
    expect(fields.sort()).toEqual(["email", "password"]);
  });
});

describe("prototypeKeyPath", () => {
  it("finds constructor and prototype keys deep in arrays, and nothing in a clean body", () => {
    expect(prototypeKeyPath({ a: [{ b: { constructor: 1 } }] })).toBe("a.0.b.constructor");
    expect(prototypeKeyPath({ a: { prototype: 1 } })).toBe("a.prototype");
    expect(prototypeKeyPath({ a: [1, { b: "c" }] })).toBeUndefined();
    expect(prototypeKeyPath("text")).toBeUndefined();
  });
});
