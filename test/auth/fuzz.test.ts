import type { Server } from "node:http";
import fc from "fast-check";
import request from "supertest";
import { GatewayError } from "../../src/errors";
import { createVerifier } from "../../src/auth/verifier";
import { MemoryRevocationStore } from "../../src/auth/revocation";
import { ManualClock, mint, protectedApp, signingKey, verifierOptions } from "../helpers/auth";

const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const OTHER_CHARS = '.=+/ \t%"{}é\u0000';

const valid = mint();
const other = mint({ payload: { jti: "another-token", scope: "profile/write" } });
const forged = mint({ key: { ...signingKey("fuzz-attacker"), kid: signingKey().kid } });

/** One single-character or single-segment change of `token`. */
const mutation: fc.Arbitrary<(token: string) => string> = fc.oneof(
  fc
    .tuple(fc.nat(), fc.constantFrom(...(B64URL + OTHER_CHARS).split("")))
    .map(([at, char]) => (t: string) => {
      const i = at % t.length;
      return t.slice(0, i) + char + t.slice(i + 1);
    }),
  fc.nat().map((at) => (t: string) => {
    const i = at % t.length;
    return t.slice(0, i) + t.slice(i + 1);
  }),
  fc.tuple(fc.nat(), fc.constantFrom(...B64URL.split(""))).map(([at, char]) => (t: string) => {
    const i = at % (t.length + 1);
    return t.slice(0, i) + char + t.slice(i);
  }),
  fc.tuple(fc.nat(2), fc.nat(2)).map(([from, to]) => (t: string) => {
    const parts = t.split(".");
    const donor = other.split(".");
    parts[to] = from === to ? (donor[from] ?? "") : (parts[from] ?? "");
    return parts.join(".");
  }),
  fc.nat(2).map(
    (drop) => (t: string) =>
      t
        .split(".")
        .filter((_, i) => i !== drop)
        .join("."),
  ),
  fc.nat(2).map((dup) => (t: string) => {
    const parts = t.split(".");
    parts.splice(dup, 0, parts[dup] ?? "");
    return parts.join(".");
  }),
  fc.nat(2).map((which) => (t: string) => {
    const parts = t.split(".");
    parts[which] = forged.split(".")[which] ?? "";
    return parts.join(".");
  }),
);

describe("property: mutations of a valid token are never accepted", () => {
  it("holds for ~300 random single-byte or single-segment mutations, cache warm", () => {
    const revocations = new MemoryRevocationStore({ clock: new ManualClock() });
    const verifier = createVerifier(verifierOptions({ revocations }));
    expect(verifier.check(valid)).not.toBeInstanceOf(GatewayError); // cached now
    fc.assert(
      fc.property(mutation, (mutate) => {
        const mutated = mutate(valid);
        fc.pre(mutated !== valid);
        const outcome = verifier.check(mutated);
        expect(outcome).toBeInstanceOf(GatewayError);
        expect((outcome as GatewayError).code).toBe("invalid_token");
      }),
      { numRuns: 300 },
    );
  });

  it("never throws, whatever the string", () => {
    const verifier = createVerifier(verifierOptions());
    fc.assert(
      fc.property(fc.string({ maxLength: 5000, unit: "binary" }), (text) => {
        expect(verifier.check(text)).toBeInstanceOf(GatewayError);
      }),
      { numRuns: 500 },
    );
  });
});

describe("property: random bearer values never cause a server error", () => {
  let server: Server;
  beforeAll(async () => {
    const app = protectedApp(verifierOptions());
    server = await new Promise<Server>((done) => {
      const s = app.listen(0, "127.0.0.1", () => {
        done(s);
      });
    });
  });
  afterAll(async () => {
    await new Promise((done) => server.close(done));
  });

  /** Header-safe text (an HTTP client refuses the rest): visible ASCII and spaces. */
  const HEADER_SAFE = /^[\x20-\x7e]*$/;
  const bearer = fc.oneof(
    fc.string({
      unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
      maxLength: 300,
    }),
    fc
      .array(fc.string({ unit: fc.constantFrom(...B64URL.split("")), maxLength: 400 }), {
        minLength: 1,
        maxLength: 5,
      })
      .map((parts) => parts.join(".")),
    mutation
      .map((mutate) => mutate(valid))
      .filter((token) => token !== valid && HEADER_SAFE.test(token)),
  );

  it("answers 401 with a challenge, never 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(
        bearer,
        fc.constantFrom("Bearer ", "bearer ", "", "Bearer  "),
        async (value, scheme) => {
          const header = `${scheme}${value}`.trim();
          const req = request(server).get("/protected");
          const res = header === "" ? await req : await req.set("Authorization", header);
          expect(res.status).toBe(401);
          expect(res.headers["www-authenticate"]).toBe('Bearer error="invalid_token"');
        },
      ),
      { numRuns: 150 },
    );
  });
});
