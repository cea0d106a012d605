/**
 * Strict input: field-naming 400s, one normalisation of addresses, JSON only (415), small
 * bodies (413), malformed JSON (400), prototype keys refused at any depth, oversized headers
 * (431) and tokens (401 before any parsing), and a property test: no input gives a 5xx.
 */
import { request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { InitiateAuthCommand, SignUpCommand } from "@aws-sdk/client-cognito-identity-provider";
import fc from "fast-check";
import request from "supertest";
import * as jws from "../../src/auth/jws";
import { BODY_LIMIT_BYTES } from "../../src/http/body";
import { mint } from "../helpers/auth";
import { asClient, cognitoError, mockedGateway } from "../helpers/mocked-gateway";

const PASSWORD = "Corr3ct-Horse!";

/** Every route, with a valid body (or a bearer header) and its fields. */
const ROUTES = [
  { path: "/auth/register", body: { email: "a@example.com", password: PASSWORD } },
  { path: "/auth/confirm", body: { email: "a@example.com", code: "123456" } },
  { path: "/auth/confirm/resend", body: { email: "a@example.com" } },
  { path: "/auth/login", body: { email: "a@example.com", password: PASSWORD } },
  { path: "/auth/refresh", body: { refreshToken: "a.b.c", username: "u" } },
  { path: "/auth/logout", body: { refreshToken: "a.b.c" } },
] as const;

function gatewayRefusingEverything() {
  const gw = mockedGateway();
  gw.cognito.onAnyCommand().rejects(cognitoError("NotAuthorizedException"));
  gw.cognito.on(SignUpCommand).resolves({ UserConfirmed: false, UserSub: "s" });
  return gw;
}

const errorLines = (lines: readonly string[]) =>
  lines.filter((line) => (JSON.parse(line) as { level: number }).level >= 50);

/** Listens on loopback; `send` writes exactly the given bytes and headers (no client rewriting). */
async function listening(app: ReturnType<typeof mockedGateway>["app"]) {
  const server: Server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const { port } = server.address() as AddressInfo;
  const send = (method: string, path: string, headers: Record<string, string>, body?: Buffer) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest({ host: "127.0.0.1", port, method, path, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() });
        });
      });
      req.on("error", reject);
      req.end(body);
    });
  const close = async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  return { send, close };
}

describe("invalid_request details name the field", () => {
  it.each(ROUTES.filter((r) => r.path !== "/auth/logout"))(
    "$path: each missing field, and an unknown one",
    async ({ path, body }) => {
      const { app } = mockedGateway();
      const res = await request(app).post(path).send({ extra: 1 });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe("invalid_request");
      const fields = (res.body.error.details as { field: string }[]).map((d) => d.field).sort();
      expect(fields).toEqual([...Object.keys(body), "extra"].sort());
    },
  );

  it("names nested fields with a dotted path", async () => {
    const { app } = mockedGateway();
    const res = await request(app)
      .post("/auth/register")
      .send({ email: "a@example.com", password: PASSWORD, attributes: { name: 7 } });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([
      { field: "attributes.name", problem: expect.any(String) },
    ]);
  });
});

describe("one normalisation of addresses", () => {
  const SPELLINGS = ["Pat@Example.COM", "  pat@example.com  ", "PAT@EXAMPLE.COM"];
  const cases = [
    ["register", "/auth/register", { password: PASSWORD }],
    ["confirm", "/auth/confirm", { code: "123456" }],
    ["resend", "/auth/confirm/resend", {}],
  ] as const;

  it.each(cases)("%s sends one Username and SECRET_HASH", async (_name, path, rest) => {
    const { app, cognito } = mockedGateway();
    cognito.onAnyCommand().resolves({}); // one call per request: SignUp, ConfirmSignUp, Resend…
    for (const email of SPELLINGS)
      await request(app)
        .post(path)
        .send({ email, ...rest });
    const inputs = cognito.calls().map((c) => c.args[0].input);
    expect(inputs).toHaveLength(SPELLINGS.length);
    for (const input of inputs) {
      expect(input).toMatchObject(asClient("pat@example.com"));
    }
  });

  it("login sends one USERNAME and SECRET_HASH", async () => {
    const { app, cognito } = mockedGateway();
    cognito.on(InitiateAuthCommand).rejects(cognitoError("NotAuthorizedException"));
    for (const email of SPELLINGS) {
      await request(app).post("/auth/login").send({ email, password: PASSWORD });
    }
    for (const call of cognito.commandCalls(InitiateAuthCommand)) {
      expect(call.args[0].input.AuthParameters).toMatchObject({
        USERNAME: "pat@example.com",
        SECRET_HASH: asClient("pat@example.com").SecretHash,
      });
    }
  });
});

describe("JSON only, small, well-formed", () => {
  it.each([
    ["text/plain", "{}"],
    ["application/x-www-form-urlencoded", "email=a%40example.com"],
    ["multipart/form-data; boundary=x", "--x--"],
    ["application/jsonp", "{}"],
  ])("answers 415 for %s", async (type, body) => {
    const { app, cognito } = mockedGateway();
    const res = await request(app).post("/auth/login").set("Content-Type", type).send(body);
    expect(res.status).toBe(415);
    expect(res.body.error.code).toBe("unsupported_media_type");
    expect(cognito.calls()).toHaveLength(0);
  });

  it.each(["gzip", "deflate", "br", "x-unknown"])(
    "answers 415 for a %s-encoded body",
    async (encoding) => {
      const { app } = mockedGateway();
      const res = await request(app)
        .post("/auth/login")
        .set("Content-Type", "application/json")
        .set("Content-Encoding", encoding)
        .send('{"email":"a@example.com","password":"x"}');
      expect(res.status).toBe(415);
      expect(res.body.error.code).toBe("unsupported_media_type");
    },
  );

  it("answers 413 past the body limit, before Cognito", async () => {
    const { app, cognito } = mockedGateway();
    const body = JSON.stringify({ email: "a@example.com", password: "x".repeat(BODY_LIMIT_BYTES) });
    const res = await request(app)
      .post("/auth/login")
      .set("Content-Type", "application/json")
      .send(body);
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe("payload_too_large");
    expect(cognito.calls()).toHaveLength(0);
  });

  it.each(['{"email":', "{'email':'a'}", "null", "42", '"text"', "\u0000", "{}}"])(
    "answers 400 for malformed or non-object JSON %j",
    async (body) => {
      const { app } = mockedGateway();
      const res = await request(app)
        .post("/auth/login")
        .set("Content-Type", "application/json")
        .send(body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe("invalid_request");
    },
  );
});

describe("prototype keys", () => {
  const BODIES = [
    '{"__proto__":{"polluted":"yes"},"email":"a@example.com","password":"x"}',
    '{"constructor":{"prototype":{"polluted":"yes"}},"email":"a@example.com","password":"x"}',
    '{"prototype":{"polluted":"yes"},"email":"a@example.com","password":"x"}',
  ];
  const NESTED = [
    ["attributes.__proto__", '{"__proto__":{"polluted":"yes"}}'],
    ["attributes.constructor", '{"constructor":"x"}'],
    ["attributes.prototype", '{"prototype":"x"}'],
  ];

  afterEach(() => {
    expect(Object.prototype).not.toHaveProperty("polluted");
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each(ROUTES.map((r) => r.path))("%s refuses them at the top level", async (path) => {
    const { app, cognito } = mockedGateway();
    for (const body of BODIES) {
      const res = await request(app)
        .post(path)
        .set("Content-Type", "application/json")
        .set("Authorization", `Bearer ${mint()}`) // logout checks the token first
        .send(body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe("invalid_request");
    }
    expect(cognito.calls()).toHaveLength(0);
  });

  it.each(NESTED)("register refuses %s, naming it", async (field, attributes) => {
    const { app, cognito } = mockedGateway();
    const res = await request(app)
      .post("/auth/register")
      .set("Content-Type", "application/json")
      .send(`{"email":"a@example.com","password":"${PASSWORD}","attributes":${attributes}}`);
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([{ field, problem: expect.any(String) }]);
    expect(cognito.calls()).toHaveLength(0);
  });
});

describe("oversized headers and tokens", () => {
  let server: Awaited<ReturnType<typeof listening>>;
  beforeAll(async () => {
    server = await listening(mockedGateway().app);
  });
  afterAll(() => server.close());
  const get = (path: string, headers: Record<string, string>) => server.send("GET", path, headers);

  it("answers 431 past Node's header limit, and keeps serving", async () => {
    const res = await get("/auth/me", { "X-Filler": "x".repeat(32 * 1024) });
    expect(res.status).toBe(431);
    expect((await get("/healthz", {})).status).toBe(200);
  });

  it("answers 401 to an 8 KB bearer token without parsing it", async () => {
    const split = jest.spyOn(jws, "splitCompactJws");
    const decode = jest.spyOn(jws, "decodeSegment");
    const segment = Buffer.from('{"alg":"RS256","kid":"k"}').toString("base64url");
    const huge = `${segment}.${"A".repeat(8192)}.${segment}`;
    const res = await get("/auth/me", { Authorization: `Bearer ${huge}` });
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: "invalid_token" } });
    expect(split).not.toHaveBeenCalled();
    expect(decode).not.toHaveBeenCalled();
    // The spies do see a token of ordinary size.
    await get("/auth/me", { Authorization: `Bearer ${segment}.${segment}.${segment}` });
    expect(split).toHaveBeenCalled();
    jest.restoreAllMocks();
  });
});

describe("no input gives a 5xx (property)", () => {
  const RUNS = 100;
  const printable = fc.string({
    unit: fc.integer({ min: 0x20, max: 0x7e }).map(String.fromCharCode),
  });
  const segment = fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v)).toString("base64url"));
  const bearer = fc.oneof(
    printable,
    printable.map((s) => `Bearer ${s}`),
    fc.tuple(segment, segment, segment).map((parts) => `Bearer ${parts.join(".")}`),
  );
  const bodyFor = (fields: readonly string[]) =>
    fc.oneof(
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.string(),
      fc
        .record(Object.fromEntries(fields.map((f) => [f, fc.jsonValue()])), { requiredKeys: [] })
        .map((v) => JSON.stringify(v)),
      fc.dictionary(fc.string(), fc.jsonValue()).map((v) => JSON.stringify(v)),
    );

  it.each(ROUTES)("$path", async ({ path, body }) => {
    const { app, logs } = gatewayRefusingEverything();
    await fc.assert(
      fc.asyncProperty(bodyFor(Object.keys(body)), bearer, async (raw, authorization) => {
        const res = await request(app)
          .post(path)
          .set("Content-Type", "application/json")
          .set("Authorization", authorization)
          .send(raw);
        return res.status < 500;
      }),
      { numRuns: RUNS },
    );
    expect(errorLines(logs.lines)).toEqual([]);
  });

  it("GET /auth/me with any Authorization header", async () => {
    const { app, logs } = gatewayRefusingEverything();
    await fc.assert(
      fc.asyncProperty(bearer, async (authorization) => {
        const res = await request(app).get("/auth/me").set("Authorization", authorization);
        return res.status === 401;
      }),
      { numRuns: RUNS },
    );
    expect(errorLines(logs.lines)).toEqual([]);
  });

  it("raw bytes with any content type and encoding", async () => {
    const { app, logs } = gatewayRefusingEverything();
    const server = await listening(app);
    const headers = fc.record(
      {
        "Content-Type": fc.constantFrom(
          "application/json",
          "application/json; charset=utf-16",
          "application/json; charset=latin1",
          "text/plain",
        ),
        "Content-Encoding": fc.constantFrom("gzip", "deflate", "br", "identity", "x"),
      },
      { requiredKeys: [] },
    );
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...ROUTES.map((r) => r.path)),
          fc.uint8Array({ maxLength: 512 }),
          headers,
          async (path, bytes, head) => {
            const res = await server.send("POST", path, head, Buffer.from(bytes));
            return res.status < 500;
          },
        ),
        { numRuns: RUNS * 2 },
      );
    } finally {
      await server.close();
    }
    expect(errorLines(logs.lines)).toEqual([]);
  });
});
