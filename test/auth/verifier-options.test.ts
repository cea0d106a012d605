/**
 * resolveVerifierOptions: the derived issuer and the defaults, every refusal by its coded reason
 * and option, the bounds of the skew and the cache, unknown keys refused with a "did you mean",
 * and a frozen result that never aliases the caller's options.
 */
import { StaticKeyStore } from "../../src/auth/keys";
import { MemoryRevocationStore } from "../../src/auth/revocation";
import {
  CACHE_RULES,
  CLOCK_SKEW_RULE,
  resolveVerifierOptions,
  type VerifierOptions,
} from "../../src/auth/verifier-options";
import { systemClock } from "../../src/clock";
import type { ConfigErrorReason } from "../../src/errors";
import {
  CLIENT_ID,
  ISSUER,
  jwksOf,
  ManualClock,
  OTHER_CLIENT_ID,
  POOL_ID,
  signingKey,
} from "../helpers/auth";
import { badNumberRows, edgeRows, refusalOf } from "../helpers/option-rules";

const keys = new StaticKeyStore(jwksOf(signingKey()));
/** The least a verifier needs: no clock, no cache options, no scopes or groups. */
const base: VerifierOptions = {
  userPoolId: POOL_ID,
  clientId: CLIENT_ID,
  tokenUse: "access",
  keys,
  revocations: false,
};
const PREFIX = "requireAuth/createVerifier: ";

function resolved(change: Record<string, unknown>) {
  return resolveVerifierOptions({ ...base, ...change });
}

function refused(change: Record<string, unknown>) {
  return refusalOf(resolveVerifierOptions, { ...base, ...change });
}

describe("resolveVerifierOptions", () => {
  it("derives the issuer from the pool id and fills in the documented defaults", () => {
    const config = resolveVerifierOptions(base);
    expect(config).toEqual({
      issuer: ISSUER,
      clientIds: new Set([CLIENT_ID]),
      tokenUse: "access",
      scopes: [],
      groups: [],
      keys,
      revocations: false,
      clockSkewSeconds: 5,
      clock: systemClock,
      cache: { maxEntries: 10_000, maxBytes: 16 * 1024 * 1024 },
    });
    expect(config.keys).toBe(keys);
  });

  it("keeps the stores and clock it is given", () => {
    const revocations = new MemoryRevocationStore();
    const clock = new ManualClock();
    const config = resolved({ revocations, clock });
    expect(config.revocations).toBe(revocations);
    expect(config.clock).toBe(clock);
  });

  it("takes one client id or a list, scopes for access tokens and groups for either", () => {
    expect([...resolved({ clientId: [CLIENT_ID, OTHER_CLIENT_ID] }).clientIds]).toEqual([
      CLIENT_ID,
      OTHER_CLIENT_ID,
    ]);
    expect(resolved({ scopes: ["profile/read", "profile/write"] }).scopes).toEqual([
      "profile/read",
      "profile/write",
    ]);
    expect(resolved({ tokenUse: "id", groups: "admins" })).toMatchObject({
      tokenUse: "id",
      groups: ["admins"],
    });
  });

  it("accepts a region that matches the pool, and builds the issuer from it", () => {
    expect(resolved({ region: "eu-west-1" }).issuer).toBe(ISSUER);
    expect(resolved({ userPoolId: "local_abc123", region: "eu-west-1" }).issuer).toBe(
      "https://cognito-idp.eu-west-1.amazonaws.com/local_abc123",
    );
  });

  it.each(["http://127.0.0.1:9229/local_abc123", "http://localhost:9229/local_abc123"])(
    "accepts the loopback http issuer %s without a pool id",
    (issuer) => {
      expect(resolved({ userPoolId: undefined, issuer }).issuer).toBe(issuer);
    },
  );

  it("accepts an https issuer ending with the pool id, and an IPv6 loopback one", () => {
    expect(resolved({ issuer: ISSUER }).issuer).toBe(ISSUER);
    const v6 = "http://[::1]:9229/local_abc123";
    expect(resolved({ userPoolId: "local_abc123", issuer: v6 }).issuer).toBe(v6);
  });

  const refusals: [string, Record<string, unknown>, ConfigErrorReason, string][] = [
    ["no pool id and no issuer", { userPoolId: undefined }, "missing", "userPoolId"],
    ["a malformed pool id", { userPoolId: "eu-west-1-Pool" }, "malformed", "userPoolId"],
    ["a pool id that is not a string", { userPoolId: 5 }, "malformed", "userPoolId"],
    ["a pool id with no region", { userPoolId: "local_abc123" }, "missing", "region"],
    ["a region that does not match", { region: "us-east-1" }, "conflict", "region"],
    ["a malformed region", { region: "EU" }, "malformed", "region"],
    [
      "an http issuer off loopback",
      { issuer: `http://cognito-idp.eu-west-1.amazonaws.com/${POOL_ID}` },
      "insecure",
      "issuer",
    ],
    [
      "an http issuer on 127.0.0.2",
      { issuer: `http://127.0.0.2/${POOL_ID}` },
      "insecure",
      "issuer",
    ],
    ["an issuer that is not a URL", { issuer: "cognito" }, "malformed", "issuer"],
    ["an issuer that is not a string", { issuer: 5 }, "malformed", "issuer"],
    ["an issuer with a trailing slash", { issuer: `${ISSUER}/` }, "malformed", "issuer"],
    ["an issuer with a query", { issuer: `${ISSUER}?a=1` }, "malformed", "issuer"],
    ["an issuer with a fragment", { issuer: `${ISSUER}#a` }, "malformed", "issuer"],
    ["an issuer for another pool", { issuer: `${ISSUER}x` }, "conflict", "issuer"],
    ["no clientId", { clientId: undefined }, "missing", "clientId"],
    ["an empty clientId", { clientId: "" }, "malformed", "clientId"],
    ["an empty clientId list", { clientId: [] }, "malformed", "clientId"],
    ["a clientId with a space", { clientId: "a b" }, "malformed", "clientId"],
    ["a clientId over 256 characters", { clientId: "a".repeat(257) }, "malformed", "clientId"],
    ["a clientId that is a number", { clientId: 5 }, "malformed", "clientId"],
    ["no tokenUse", { tokenUse: undefined }, "missing", "tokenUse"],
    ["tokenUse both", { tokenUse: "both" }, "malformed", "tokenUse"],
    ["scopes not an array", { scopes: 5 }, "malformed", "scopes"],
    ["an empty scopes list", { scopes: [] }, "malformed", "scopes"],
    ["scopes with an id verifier", { tokenUse: "id", scopes: ["a"] }, "conflict", "scopes"],
    ["a group that is not a string", { groups: [1] }, "malformed", "groups"],
    ["a group with a tab", { groups: ["a\tb"] }, "malformed", "groups"],
    ["no keys", { keys: undefined }, "malformed", "keys"],
    ["keys that are not a KeyStore", { keys: { keys: [] } }, "malformed", "keys"],
    ["no revocations", { revocations: undefined }, "missing", "revocations"],
    ["revocations true", { revocations: true }, "malformed", "revocations"],
    ["a clock without now", { clock: {} }, "malformed", "clock"],
    ["a clock that is a function", { clock: () => 0 }, "malformed", "clock"],
    ["a cache that is true", { cache: true }, "malformed", "cache"],
    ["a null cache", { cache: null }, "malformed", "cache"],
  ];
  it.each(refusals)("refuses %s", (_name, change, reason, option) => {
    const refusal = refused(change);
    expect(refusal.coded).toEqual([reason, option]);
    expect(refusal.message.startsWith(PREFIX)).toBe(true);
  });

  it.each([undefined, null])("refuses %p instead of options", (value) => {
    expect(refusalOf(resolveVerifierOptions, value).coded).toEqual(["missing", "options"]);
  });

  describe("clockSkewSeconds", () => {
    const rules = { clockSkewSeconds: CLOCK_SKEW_RULE };
    it.each(edgeRows(rules))("accepts %s = %p", (_key, value) => {
      expect(resolved({ clockSkewSeconds: value }).clockSkewSeconds).toBe(value);
    });
    it.each(badNumberRows(rules))("refuses %s = %p as %s", (key, value, reason) => {
      expect(refused({ clockSkewSeconds: value }).coded).toEqual([reason, key]);
    });
  });

  describe("cache", () => {
    it("turns off with false, and fills the bound left out", () => {
      expect(resolved({ cache: false }).cache).toBe(false);
      expect(resolved({ cache: { maxEntries: 7 } }).cache).toEqual({
        maxEntries: 7,
        maxBytes: 16 * 1024 * 1024,
      });
    });
    it.each(edgeRows(CACHE_RULES))("accepts cache.%s = %p", (key, value) => {
      const cache = resolved({ cache: { [key]: value } }).cache;
      expect(cache === false ? undefined : cache[key as keyof typeof cache]).toBe(value);
    });
    it.each(badNumberRows(CACHE_RULES))("refuses cache.%s = %p as %s", (key, value, reason) => {
      const refusal = refused({ cache: { [key]: value } });
      expect(refusal.coded).toEqual([reason, `cache.${key}`]);
      expect(refusal.message.startsWith(PREFIX)).toBe(true);
    });
  });

  it.each([
    ["clockSkewSecond", "clockSkewSeconds"],
    ["clockSkewSec", "clockSkewSeconds"],
    ["clientIds", "clientId"],
    ["scope", "scopes"],
    ["revocation", "revocations"],
  ])("refuses the unknown key %s, naming %s", (key, guess) => {
    const refusal = refused({ [key]: 1 });
    expect(refusal.coded).toEqual(["unknown_option", key]);
    expect(refusal.message).toContain(`did you mean "${guess}"?`);
    expect(refusal.message.startsWith(PREFIX)).toBe(true);
  });

  it("refuses an unknown cache key, naming the closest one under cache.", () => {
    const refusal = refused({ cache: { maxEntry: 5 } });
    expect(refusal.coded).toEqual(["unknown_option", "cache.maxEntry"]);
    expect(refusal.message).toContain('did you mean "cache.maxEntries"?');
  });

  it("answers a frozen configuration, and never modifies or aliases the caller's options", () => {
    const clientIds = [CLIENT_ID];
    const scopes = ["profile/read"];
    const groups = ["admins"];
    const options = { ...base, clientId: clientIds, scopes, groups, cache: { maxEntries: 9 } };
    const before = JSON.stringify(options);
    const config = resolveVerifierOptions(options);
    expect(JSON.stringify(options)).toBe(before);
    for (const part of [config, config.scopes, config.groups, config.cache]) {
      expect(Object.isFrozen(part)).toBe(true);
    }
    clientIds.push(OTHER_CLIENT_ID);
    scopes.push("profile/write");
    groups.push("owners");
    options.cache.maxEntries = 1;
    expect(config.clientIds.has(OTHER_CLIENT_ID)).toBe(false);
    expect(config.scopes).toEqual(["profile/read"]);
    expect(config.groups).toEqual(["admins"]);
    expect(config.cache).toEqual({ maxEntries: 9, maxBytes: 16 * 1024 * 1024 });
  });

  it("takes frozen options", () => {
    const options = Object.freeze({ ...base, scopes: Object.freeze(["profile/read"]) });
    expect(resolveVerifierOptions(options).scopes).toEqual(["profile/read"]);
  });
});
