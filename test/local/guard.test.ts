import { ConfigError } from "../../src/errors";
import { EMULATOR_PUBLIC_JWK } from "../../src/local/emulator";
import {
  EMULATOR_KID,
  assertNoEmulatorKeyOutsideLocal,
  assertPinnedEmulatorKeyCurrent,
} from "../../src/local/guard";
import { rootJwks } from "../helpers/local";

describe("assertNoEmulatorKeyOutsideLocal", () => {
  const realKid = "abcd1234realkid=";

  it.each([
    ["local mode with the emulator key", { mode: "local", kids: [EMULATOR_KID] }],
    ["local mode in test", { mode: "local", nodeEnv: "test", kids: [EMULATOR_KID] }],
    ["cognito mode with real keys", { mode: "cognito", kids: [realKid] }],
    ["cognito mode in production", { mode: "cognito", nodeEnv: "production", kids: [realKid] }],
    ["no keys yet", { mode: "cognito", nodeEnv: "production", kids: [] }],
  ] as const)("accepts %s", (_label, input) => {
    expect(() => {
      assertNoEmulatorKeyOutsideLocal(input);
    }).not.toThrow();
  });

  it.each([
    ["cognito mode", { mode: "cognito", kids: [realKid, EMULATOR_KID] }],
    [
      "cognito mode in development",
      { mode: "cognito", nodeEnv: "development", kids: [EMULATOR_KID] },
    ],
    ["production", { mode: "cognito", nodeEnv: "production", kids: [EMULATOR_KID] }],
  ] as const)("refuses the emulator key in %s", (_label, input) => {
    expect(() => {
      assertNoEmulatorKeyOutsideLocal(input);
    }).toThrow(ConfigError);
    expect(() => {
      assertNoEmulatorKeyOutsideLocal(input);
    }).toThrow(/npm run jwks:pull/);
  });

  it.each(["production", " Production "])("refuses local mode when NODE_ENV is %p", (nodeEnv) => {
    expect(() => {
      assertNoEmulatorKeyOutsideLocal({ mode: "local", nodeEnv, kids: [] });
    }).toThrow(/development only.*COGNITO_USER_POOL_ID/);
  });
});

describe("assertPinnedEmulatorKeyCurrent", () => {
  it("accepts the committed jwks.json", () => {
    expect(() => {
      assertPinnedEmulatorKeyCurrent(rootJwks().keys, EMULATOR_PUBLIC_JWK);
    }).not.toThrow();
  });

  it("pins exactly the emulator's public key as a standard JWKS entry", () => {
    expect(rootJwks()).toEqual({
      keys: [
        {
          kid: "CognitoLocal",
          kty: "RSA",
          alg: "RS256",
          use: "sig",
          n: EMULATOR_PUBLIC_JWK.n,
          e: EMULATOR_PUBLIC_JWK.e,
        },
      ],
    });
  });

  it("refuses a jwks.json without the emulator key", () => {
    expect(() => {
      assertPinnedEmulatorKeyCurrent(
        [{ kid: "real", kty: "RSA", n: "x", e: "AQAB" }],
        EMULATOR_PUBLIC_JWK,
      );
    }).toThrow(/git checkout -- jwks.json/);
  });

  it("refuses a stale emulator key", () => {
    const stale = { ...EMULATOR_PUBLIC_JWK, n: "c3RhbGU" };
    expect(() => {
      assertPinnedEmulatorKeyCurrent([stale], EMULATOR_PUBLIC_JWK);
    }).toThrow(ConfigError);
  });
});
