/**
 * Cognito faults with the gateway's real AWS SDK client pointed at a fake endpoint that hangs,
 * resets connections, answers 500 or throttles: every route answers in bounded time with the
 * contract's 503 (429 for throttling) and Retry-After, never the upstream's words; logout still
 * answers 204; /readyz follows the fake's health.
 */
import { performance } from "node:perf_hooks";
import request from "supertest";
import { READINESS_CACHE_MS } from "../../src/routes/health";
import { mint } from "../helpers/auth";
import {
  UPSTREAM_DETAIL,
  startFakeCognito,
  type FakeCognito,
  type FakeCognitoMode,
} from "../../tools/lib/fake-cognito";
import { mockedGateway } from "../helpers/mocked-gateway";

const TIMEOUT_MS = 300;
const ATTEMPTS = 2;
const FLOOR_MS = 100;
/** The adapter's whole-call deadline plus the floor and generous slack for a loaded machine. */
const UPPER_BOUND_MS = TIMEOUT_MS * ATTEMPTS + 500 + FLOOR_MS + 1500;

const PASSWORD = "Corr3ct-Horse!";
const ROUTES = [
  ["register", { email: "a@example.com", password: PASSWORD }],
  ["confirm", { email: "a@example.com", code: "123456" }],
  ["confirm/resend", { email: "a@example.com" }],
  ["login", { email: "a@example.com", password: PASSWORD }],
  ["refresh", { refreshToken: "a.b.c", username: "u" }],
] as const;

/** Words of the upstream answer or of the transport failure a client must never see. */
const UPSTREAM_WORDS = [
  UPSTREAM_DETAIL,
  "Exception",
  "ECONNRESET",
  "socket hang up",
  "TimeoutError",
  "AbortError",
  "amazon",
];

let fake: FakeCognito;
beforeAll(async () => {
  fake = await startFakeCognito();
});
afterAll(() => fake.close());

// A per-attempt timeout must be an error the SDK retries, not a console warning while the
// request keeps waiting (the AWS SDK's default).
let consoleWarn: jest.SpyInstance;
beforeEach(() => {
  consoleWarn = jest.spyOn(console, "warn");
});
afterEach(() => {
  expect(consoleWarn).not.toHaveBeenCalled();
  consoleWarn.mockRestore();
});

function gatewayOnFake() {
  return mockedGateway({
    cognitoClient: undefined, // the real SDK client, built from endpoint and timeouts
    endpoint: fake.url,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    cognitoTimeoutMs: TIMEOUT_MS,
    cognitoMaxAttempts: ATTEMPTS,
    responseFloorMs: FLOOR_MS,
    retryAfterSeconds: 7,
  });
}

async function timed(send: () => Promise<request.Response>) {
  const started = performance.now();
  const res = await send();
  return { res, ms: performance.now() - started };
}

describe.each<[FakeCognitoMode, number, string]>([
  ["hang", 503, "upstream_unavailable"],
  ["reset", 503, "upstream_unavailable"],
  ["error500", 503, "upstream_unavailable"],
  ["throttle", 429, "too_many_requests"],
])("Cognito in %s mode", (mode, status, code) => {
  beforeEach(() => {
    fake.mode = mode;
  });

  it.each(ROUTES)(
    "/auth/%s answers in bounded time, in the contract's words",
    async (route, body) => {
      const { app, logs } = gatewayOnFake();
      const before = fake.requests;
      const { res, ms } = await timed(() => request(app).post(`/auth/${route}`).send(body));
      expect(fake.requests).toBeGreaterThan(before); // the fake really was asked
      expect(res.status).toBe(status);
      expect(res.body).toEqual({ error: { code, message: expect.any(String) } });
      expect(res.headers["retry-after"]).toBe("7");
      expect(ms).toBeLessThan(UPPER_BOUND_MS);
      for (const word of UPSTREAM_WORDS) {
        expect(res.text).not.toContain(word);
        expect(JSON.stringify(res.headers)).not.toContain(word);
      }
      expect(logs.text()).not.toContain(UPSTREAM_DETAIL);
    },
  );

  it("logout still revokes locally and answers 204", async () => {
    const { app } = gatewayOnFake();
    const token = mint({ payload: { jti: `j-${mode}`, origin_jti: `o-${mode}` } });
    const { res, ms } = await timed(() =>
      request(app)
        .post("/auth/logout")
        .set("Authorization", `Bearer ${token}`)
        .send({ refreshToken: "a.b.c" }),
    );
    expect(res.status).toBe(204);
    expect(ms).toBeLessThan(UPPER_BOUND_MS);
    const me = await request(app).get("/auth/me").set("Authorization", `Bearer ${token}`);
    expect(me.status).toBe(401);
  });

  it("/auth/me does not depend on Cognito", async () => {
    const { app } = gatewayOnFake();
    const res = await request(app).get("/auth/me").set("Authorization", `Bearer ${mint()}`);
    expect(res.status).toBe(200);
  });
});

describe("/readyz", () => {
  it("turns 503 while Cognito is unreachable and 200 again when it answers", async () => {
    const { app, clock } = gatewayOnFake();
    const probe = async (mode: FakeCognitoMode) => {
      fake.mode = mode;
      clock.ms += READINESS_CACHE_MS; // the previous answer is stale
      const { res, ms } = await timed(() => request(app).get("/readyz"));
      expect(ms).toBeLessThan(UPPER_BOUND_MS);
      return `${res.status} ${String(res.body.checks?.cognito)}`;
    };
    expect(await probe("normal")).toBe("200 ok");
    expect(await probe("hang")).toBe("503 unreachable");
    expect(await probe("normal")).toBe("200 ok");
    expect(await probe("reset")).toBe("503 unreachable");
    expect(await probe("error500")).toBe("503 unreachable");
    expect(await probe("normal")).toBe("200 ok");
  });

  it("reuses one answer within the cache time", async () => {
    const { app, clock } = gatewayOnFake();
    fake.mode = "normal";
    clock.ms += READINESS_CACHE_MS;
    expect((await request(app).get("/readyz")).status).toBe(200);
    const asked = fake.requests;
    fake.mode = "error500";
    expect((await request(app).get("/readyz")).status).toBe(200);
    expect(fake.requests).toBe(asked);
  });
});
