import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "../../src/errors";
import {
  EMULATOR_KID,
  FileKeyStore,
  loadJwks,
  StaticKeyStore,
  type KeyStore,
} from "../../src/auth/keys";
import { jwksOf, merge, signingKey } from "../helpers/auth";

const primary = signingKey("kid-a");
const secondary = signingKey("kid-b");
const weak = signingKey("kid-weak", 1024);

function expectConfigError(run: () => unknown): void {
  let caught: unknown;
  try {
    run();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ConfigError);
  expect((caught as ConfigError).code).toBe("invalid_config");
}

/** The valid JWKS with `keys[0]` changed: an `undefined` value removes the member. */
function withKey(changes: Record<string, unknown>): { keys: Record<string, unknown>[] } {
  return { keys: [merge({ ...primary.jwk }, changes)] };
}

describe("loadJwks", () => {
  it("converts each key to a public RSA KeyObject, by kid", () => {
    const keys = loadJwks(jwksOf(primary, secondary), "test");
    expect([...keys.keys()]).toEqual(["kid-a", "kid-b"]);
    const key = keys.get("kid-a");
    expect(key?.type).toBe("public");
    expect(key?.asymmetricKeyType).toBe("rsa");
    expect(key?.equals(primary.publicKey)).toBe(true);
  });

  it("accepts keys without use or alg", () => {
    expect(loadJwks(withKey({ use: undefined, alg: undefined }), "test").size).toBe(1);
  });

  it("never turns a JWK carrying private members into a private key", () => {
    const privateJwk = { ...primary.privateKey.export({ format: "jwk" }), kid: "kid-a" };
    expect(loadJwks({ keys: [privateJwk] }, "test").get("kid-a")?.type).toBe("public");
  });

  const malformed: [string, unknown][] = [
    ["null", null],
    ["an array", [primary.jwk]],
    ["a string", "keys"],
    ["no keys member", { jwks: [] }],
    ["keys not an array", { keys: primary.jwk }],
    ["no keys", { keys: [] }],
    ["a key that is not an object", { keys: ["kid-a"] }],
    ["a key without kid", withKey({ kid: undefined })],
    ["a numeric kid", withKey({ kid: 7 })],
    ["an empty kid", withKey({ kid: "" })],
    ["a kid over 128 characters", withKey({ kid: "k".repeat(129) })],
    ["a duplicate kid", { keys: [primary.jwk, { ...secondary.jwk, kid: "kid-a" }] }],
    ["kty EC", withKey({ kty: "EC" })],
    ["no kty", withKey({ kty: undefined })],
    ["use enc", withKey({ use: "enc" })],
    ["alg RS512", withKey({ alg: "RS512" })],
    ["alg HS256", withKey({ alg: "HS256" })],
    ["no n", withKey({ n: undefined })],
    ["no e", withKey({ e: undefined })],
    ["n not base64url", withKey({ n: "not base64!" })],
    ["a numeric e", withKey({ e: 65537 })],
    ["a 1024-bit modulus", { keys: [weak.jwk] }],
    ["a tiny modulus", withKey({ n: "AQAB" })],
  ];
  it.each(malformed)("throws ConfigError for %s", (_name, jwks) => {
    expectConfigError(() => loadJwks(jwks, "test"));
  });

  it("says what to do in its message", () => {
    expect(() => loadJwks({ keys: [] }, "jwks.json")).toThrow(/jwks:pull/);
  });
});

describe("StaticKeyStore", () => {
  it("serves pinned keys by kid and nothing else", () => {
    const store: KeyStore = new StaticKeyStore(jwksOf(primary, secondary));
    expect(store.kids).toEqual(["kid-a", "kid-b"]);
    expect(store.get("kid-b")?.equals(secondary.publicKey)).toBe(true);
    expect(store.get("kid-c")).toBeUndefined();
    expect(store.get("constructor")).toBeUndefined();
    expect(store.version).toBe(1);
    expect(Object.isFrozen(store.kids)).toBe(true);
  });

  it("validates like loadJwks", () => {
    expectConfigError(() => new StaticKeyStore({ keys: [] }));
  });
});

describe("FileKeyStore", () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "keys-test-"));
    path = join(dir, "jwks.json");
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("loads the file at construction", () => {
    writeFileSync(path, JSON.stringify(jwksOf(primary)));
    const store = new FileKeyStore(path);
    expect(store.kids).toEqual(["kid-a"]);
    expect(store.get("kid-a")?.equals(primary.publicKey)).toBe(true);
    expect(store.version).toBe(1);
  });

  it("throws ConfigError for a missing file, invalid JSON or an invalid JWKS", () => {
    expectConfigError(() => new FileKeyStore(join(dir, "absent.json")));
    writeFileSync(path, "{not json");
    expectConfigError(() => new FileKeyStore(path));
    writeFileSync(path, JSON.stringify({ keys: [] }));
    expectConfigError(() => new FileKeyStore(path));
  });

  it("reload swaps the whole key set and bumps the version", () => {
    writeFileSync(path, JSON.stringify(jwksOf(primary)));
    const store = new FileKeyStore(path);
    writeFileSync(path, JSON.stringify(jwksOf(secondary)));
    store.reload();
    expect(store.version).toBe(2);
    expect(store.kids).toEqual(["kid-b"]);
    expect(store.get("kid-a")).toBeUndefined();
    expect(store.get("kid-b")?.equals(secondary.publicKey)).toBe(true);
  });

  it.each([
    ["invalid JSON", "{"],
    ["an empty JWKS", JSON.stringify({ keys: [] })],
    ["a weak key", JSON.stringify({ keys: [weak.jwk] })],
  ])("a failed reload (%s) throws and keeps the old keys", (_name, content) => {
    writeFileSync(path, JSON.stringify(jwksOf(primary)));
    const store = new FileKeyStore(path);
    writeFileSync(path, content);
    expectConfigError(() => {
      store.reload();
    });
    expect(store.version).toBe(1);
    expect(store.kids).toEqual(["kid-a"]);
    expect(store.get("kid-a")?.equals(primary.publicKey)).toBe(true);
  });

  it("keeps the old keys when the file disappears", () => {
    writeFileSync(path, JSON.stringify(jwksOf(primary)));
    const store = new FileKeyStore(path);
    rmSync(path);
    expectConfigError(() => {
      store.reload();
    });
    expect(store.get("kid-a")).toBeDefined();
  });
});

it("names the emulator's kid", () => {
  expect(EMULATOR_KID).toBe("CognitoLocal");
});
