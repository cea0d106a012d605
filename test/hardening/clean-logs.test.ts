/**
 * Clean logs: the whole lifecycle against the embedded emulator (real SDK, real HTTP), failures
 * included, with every log line captured at debug level. No password, client secret,
 * SECRET_HASH, token, Authorization or Cookie value appears anywhere; the confirmation code
 * appears in exactly one line, the local emulator's deliberate "code sent" line.
 */
import { secretHash } from "../../src/cognito/secret-hash";
import { useTestGateway } from "../helpers/gateway";

const PASSWORD = "Cl3an-Logs-Passw0rd!";
const WRONG_PASSWORD = "Wr0ng-Logs-Passw0rd!";
const COOKIE = "session=cookie-value-must-not-be-logged-7f3a";
const BAD_TOKEN = "bad-token-value-must-not-be-logged-91c2";
const EMAIL = `clean.logs.${Date.now()}@example.com`;

const gw = useTestGateway({ RATE_LIMIT: "on", RATE_LIMIT_LOGIN_FREE_FAILURES: "1" });

async function call(path: string, body?: object | string, authorization?: string) {
  const res = await fetch(`${gw.url}/auth${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: {
      cookie: COOKIE,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...(authorization === undefined ? {} : { authorization }),
    },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: (text ? JSON.parse(text) : {}) as Record<string, string> };
}

/** Runs the lifecycle with its failures; returns every secret value it handled. */
async function lifecycle(): Promise<{ secrets: string[]; code: string }> {
  const statuses: number[] = [];
  const step = async (path: string, body?: object | string, authorization?: string) => {
    const res = await call(path, body, authorization);
    statuses.push(res.status);
    return res.json;
  };
  await step("/register", { email: EMAIL, password: PASSWORD });
  const code = gw.latestCode(EMAIL) ?? "";
  await step("/confirm", { email: EMAIL, code: "00000000" });
  await step("/confirm", { email: EMAIL.toUpperCase(), code });
  await step("/register", { email: EMAIL, password: PASSWORD }); // existing, confirmed
  const tokens = await step("/login", { email: EMAIL, password: PASSWORD });
  expect(tokens.deviceToken).toEqual(expect.any(String)); // a secret too: never logged
  await step("/login", { email: EMAIL, password: WRONG_PASSWORD });
  await step("/login", { email: EMAIL, password: WRONG_PASSWORD }); // back-off starts
  await step("/login", { email: EMAIL, password: PASSWORD }); // 429 during the back-off
  await step("/login", { email: `nobody.${EMAIL}`, password: PASSWORD });
  await step("/login", `{"email":"${EMAIL}","password":"${PASSWORD}"`); // malformed JSON
  await step("/me", undefined, `Bearer ${tokens.accessToken ?? ""}`);
  await step("/me", undefined, `Bearer ${BAD_TOKEN}`);
  await step("/me", undefined, `Bearer ${tokens.idToken ?? ""}`); // wrong token kind
  const refreshed = await step("/refresh", {
    refreshToken: tokens.refreshToken,
    username: tokens.username,
  });
  await step("/refresh", { refreshToken: BAD_TOKEN, username: tokens.username });
  await step(
    "/logout",
    { refreshToken: tokens.refreshToken },
    `Bearer ${tokens.accessToken ?? ""}`,
  );
  await step("/me", undefined, `Bearer ${refreshed.accessToken ?? ""}`);
  await step("/refresh", { refreshToken: tokens.refreshToken, username: tokens.username });
  expect(statuses).toEqual([
    202, 400, 200, 202, 200, 401, 401, 429, 401, 400, 200, 401, 401, 200, 401, 204, 401, 401,
  ]);
  const { clientId, clientSecret } = gw.running.local ?? { clientId: "", clientSecret: "" };
  const issued = [tokens, refreshed].flatMap((t) =>
    [t.accessToken, t.idToken, t.refreshToken, t.deviceToken].filter(
      (v): v is string => v !== undefined,
    ),
  );
  const secrets = [
    PASSWORD,
    WRONG_PASSWORD,
    clientSecret,
    secretHash(EMAIL, clientId, clientSecret),
    secretHash(tokens.username ?? "", clientId, clientSecret),
    ...issued,
    ...issued.map((token) => token.split(".")[2] ?? token), // a signature alone is a leak too
    ...issued.map((token) => `Bearer ${token}`),
    BAD_TOKEN,
    COOKIE,
    COOKIE.split("=")[1] ?? COOKIE,
  ];
  return { secrets, code };
}

it("logs none of the lifecycle's secrets, and the code only in the emulator's line", async () => {
  const { secrets, code } = await lifecycle();
  const lines = gw.logs().split("\n");
  expect(lines.length).toBeGreaterThan(20); // the access lines at least: the capture works
  for (const secret of secrets) {
    expect(secret.length).toBeGreaterThan(8);
    expect(lines.filter((line) => line.includes(secret))).toEqual([]);
  }
  expect(code).toMatch(/^\d{6}$/);
  // The code as a token of its own (not a substring of a timestamp or an id).
  const standalone = new RegExp(`(?<![0-9A-Za-z])${code}(?![0-9A-Za-z])`);
  const withCode = lines.filter((line) => standalone.test(line));
  expect(withCode).toHaveLength(1);
  expect(JSON.parse(withCode[0] ?? "{}")).toMatchObject({
    localMode: true,
    msg: expect.stringContaining("LOCAL MODE confirmation code"),
  });
});
