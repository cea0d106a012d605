/**
 * openapi.yaml is valid OpenAPI 3.1, and it describes what the gateway really does: real requests
 * go through a full local-mode gateway, and every answer — status, required headers and body — is
 * validated (ajv, JSON Schema 2020-12) against the document's entry for that path, method and
 * status. Every status the document lists must either be produced here or be named in
 * NOT_PRODUCED with the reason, so document and behaviour cannot drift apart.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import Ajv2020, { type ValidateFunction } from "ajv/dist/2020";
import addFormats from "ajv-formats";
import YAML from "yaml";
import fc from "fast-check";
import {
  DEFAULT_PASSWORD_POLICY,
  passwordPattern,
  passwordProblems,
} from "../../src/http/password-policy";
import { EMAIL_MAX_LENGTH, EMAIL_PATTERN, resendBody } from "../../src/http/schemas";
import { useTestGateway, type SuiteGateway } from "../helpers/gateway";
import { totpCode, uniqueEmail } from "../helpers/local";
import { CookieJar } from "../helpers/session";

const ROOT = path.join(__dirname, "..", "..");
const DOCUMENT_PATH = path.join(ROOT, "openapi.yaml");
const DOCUMENT_TEXT = readFileSync(DOCUMENT_PATH, "utf8");
const DOC_ID = "https://cognito-gateway.invalid/openapi.json";
const PASSWORD = "Openapi-Pw1!";

type Method = "get" | "post";

interface HeaderObject {
  required?: boolean;
}
interface ResponseObject {
  headers?: Record<string, unknown>;
  content?: Record<string, unknown>;
}
interface OperationObject {
  responses: Record<string, unknown>;
}
interface OpenApiDocument {
  paths: Record<string, Partial<Record<Method, OperationObject>>>;
  components: Record<string, Record<string, unknown>>;
}

/**
 * Documented answers this suite cannot provoke against a healthy local gateway, with why. Every
 * other documented (method, path, status) must be produced by the tests below.
 */
const NOT_PRODUCED: Readonly<Record<string, string>> = {
  "POST /auth/register 500": "needs an unexpected failure inside the gateway",
  "POST /auth/confirm 500": "needs an unexpected failure inside the gateway",
  "POST /auth/confirm/resend 500": "needs an unexpected failure inside the gateway",
  "POST /auth/login 500": "needs an unexpected failure inside the gateway",
  "POST /auth/refresh 500": "needs an unexpected failure inside the gateway",
  "POST /auth/logout 500": "needs an unexpected failure inside the gateway",
  "GET /auth/me 500": "needs an unexpected failure inside the gateway",
  "POST /auth/password/forgot 500": "needs an unexpected failure inside the gateway",
  "POST /auth/password/reset 500": "needs an unexpected failure inside the gateway",
  "POST /auth/password/change 500": "needs an unexpected failure inside the gateway",
  "POST /auth/account/delete 500": "needs an unexpected failure inside the gateway",
  "POST /auth/password/change 204":
    "needs a sign-in that answers a challenge (MFA); test/routes/account-recovery.test.ts covers it",
  "GET /auth/me 403": "needs a gateway configured to require scopes or groups",
  "POST /auth/login/challenge 500": "needs an unexpected failure inside the gateway",
  "POST /auth/mfa/totp 500": "needs an unexpected failure inside the gateway",
  "POST /auth/mfa/totp/verify 500": "needs an unexpected failure inside the gateway",
  "POST /auth/mfa/disable 500": "needs an unexpected failure inside the gateway",
  "POST /auth/login/challenge 503":
    "a challenge handle needs a sign-in, which needs Cognito up (test/routes/error-mapping.test.ts covers it)",
  "POST /_local/invite 404": "needs a caller that is not on this machine",
  "POST /_local/mfa 404": "needs a caller that is not on this machine",
  "POST /auth/session/login 500": "needs an unexpected failure inside the gateway",
  "POST /auth/session/login/challenge 500": "needs an unexpected failure inside the gateway",
  "POST /auth/session/refresh 500": "needs an unexpected failure inside the gateway",
  "POST /auth/session/logout 500": "needs an unexpected failure inside the gateway",
  "GET /auth/session 500": "needs an unexpected failure inside the gateway",
};

const doc = YAML.parse(DOCUMENT_TEXT) as OpenApiDocument;

const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats(ajv);
// The document is registered whole, so a JSON pointer reaches any schema and `#/components/…`
// references resolve; `paths` and `components` are containers, not JSON Schema keywords.
ajv.addKeyword("paths");
ajv.addKeyword("components");
ajv.addSchema({ $id: DOC_ID, paths: doc.paths, components: doc.components });

const validators = new Map<string, ValidateFunction>();
function validatorAt(pointer: readonly string[]): ValidateFunction {
  const ref = `${DOC_ID}#/${pointer.map((p) => p.replace(/~/g, "~0").replace(/\//g, "~1")).join("/")}`;
  let validate = validators.get(ref);
  if (!validate) {
    validate = ajv.compile({ $ref: ref });
    validators.set(ref, validate);
  }
  return validate;
}

/** Follows a `$ref` (to `#/components/...`) and answers the target and its pointer. */
function deref(value: unknown, pointer: readonly string[]): { value: unknown; pointer: string[] } {
  const ref = (value as { $ref?: unknown }).$ref;
  if (typeof ref !== "string") return { value, pointer: [...pointer] };
  const parts = ref.replace(/^#\//, "").split("/");
  let target: unknown = doc;
  for (const part of parts) target = (target as Record<string, unknown>)[part];
  if (target === undefined) throw new Error(`Dangling $ref ${ref}`);
  return { value: target, pointer: parts };
}

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: () => unknown;
}

const produced = new Set<string>();

/**
 * Checks one answer against the document: its status is listed for the operation, every required
 * header is present and matches its schema, and the body matches the media type and schema.
 */
function conform(method: Method, docPath: string, answer: Answer): void {
  const where = `${method.toUpperCase()} ${docPath} ${answer.status}`;
  const operation = doc.paths[docPath]?.[method];
  if (!operation) throw new Error(`${method.toUpperCase()} ${docPath} is not in openapi.yaml`);
  const listed = operation.responses[String(answer.status)];
  if (listed === undefined) {
    throw new Error(`${where} is not documented. Body: ${answer.text}`);
  }
  produced.add(where);
  conformTo(where, listed, ["paths", docPath, method, "responses", String(answer.status)], answer);
}

/** Checks an answer against one response object of the document (at `base`, maybe a `$ref`). */
function conformTo(where: string, listed: unknown, base: readonly string[], answer: Answer): void {
  const { value, pointer } = deref(listed, base);
  const response = value as ResponseObject;
  const problems: string[] = [];

  for (const [name, raw] of Object.entries(response.headers ?? {})) {
    const header = deref(raw, [...pointer, "headers", name]);
    const actual = answer.headers.get(name);
    if (actual === null) {
      if ((header.value as HeaderObject).required === true) problems.push(`missing header ${name}`);
      continue;
    }
    const validate = validatorAt([...header.pointer, "schema"]);
    if (!validate(actual)) problems.push(`header ${name}: ${ajv.errorsText(validate.errors)}`);
  }

  if (response.content) {
    const mediaTypes = Object.keys(response.content);
    const contentType = answer.headers.get("content-type") ?? "";
    const mediaType = mediaTypes.find((type) => contentType.split(";")[0]?.trim() === type);
    if (mediaType === undefined) {
      problems.push(`Content-Type "${contentType}" is not one of ${mediaTypes.join(", ")}`);
    } else {
      const body = parsedBody(mediaType, answer);
      const validate = validatorAt([...pointer, "content", mediaType, "schema"]);
      if (!validate(body)) problems.push(`body: ${ajv.errorsText(validate.errors)}`);
    }
  } else if (answer.text !== "") {
    problems.push(`expected no body, got ${answer.text}`);
  }

  if (problems.length > 0) {
    throw new Error(
      `${where} does not match openapi.yaml:\n- ${problems.join("\n- ")}\nBody: ${answer.text}`,
    );
  }
}

/** The body as the media type defines it: JSON and YAML parsed, anything else as text. */
function parsedBody(mediaType: string, answer: Answer): unknown {
  if (mediaType === "application/json") return answer.json();
  if (mediaType === "application/yaml") return YAML.parse(answer.text) as unknown;
  return answer.text;
}

interface CallOptions {
  body?: unknown;
  /** Sent as is, with `contentType` (default application/json). */
  raw?: string;
  contentType?: string;
  token?: string;
  query?: Record<string, string>;
  /** Extra request headers (e.g. `X-CSRF`, `Origin`). */
  headers?: Record<string, string>;
  /** A browser's cookies: sent as it would send them to the path, and updated from the answer. */
  jar?: CookieJar;
}

type Reply = Answer & { body: Record<string, unknown> };

/** Sends a request to a gateway, checks the answer against the document, and returns it. */
async function call(
  baseUrl: string,
  method: Method,
  docPath: string,
  options: CallOptions = {},
): Promise<Reply> {
  const url = new URL(docPath, baseUrl);
  for (const [key, value] of Object.entries(options.query ?? {})) {
    url.searchParams.set(key, value);
  }
  const headers: Record<string, string> = { Accept: "application/json" };
  let payload: string | undefined;
  if (options.raw !== undefined) payload = options.raw;
  else if (options.body !== undefined) payload = JSON.stringify(options.body);
  if (payload !== undefined) headers["Content-Type"] = options.contentType ?? "application/json";
  if (options.token !== undefined) headers.Authorization = `Bearer ${options.token}`;
  Object.assign(headers, options.headers);
  const cookie = options.jar?.header(url.pathname);
  if (cookie) headers.Cookie = cookie;
  const response = await fetch(url, { method: method.toUpperCase(), headers, body: payload });
  options.jar?.take(response);
  const text = await response.text();
  const answer: Answer = {
    status: response.status,
    headers: response.headers,
    text,
    json: () => JSON.parse(text) as unknown,
  };
  conform(method, docPath, answer);
  const body =
    (response.headers.get("content-type") ?? "").startsWith("application/json") && text !== ""
      ? (JSON.parse(text) as Record<string, unknown>)
      : {};
  return { ...answer, body };
}

const CSRF = { "X-CSRF": "1" };

const errorCode = (reply: Reply): unknown =>
  (reply.body.error as { code?: unknown } | undefined)?.code;

/** The JSON routes (every POST in the document). */
const jsonRoutes = (): string[] =>
  Object.entries(doc.paths)
    .filter(([, item]) => item.post !== undefined)
    .map(([docPath]) => docPath);

/** Signs up, confirms and logs in a fresh account; answers the login body. */
async function freshSession(gateway: SuiteGateway, label: string) {
  const email = uniqueEmail(label);
  const post = (docPath: string, body: unknown) => call(gateway.url, "post", docPath, { body });
  expect((await post("/auth/register", { email, password: PASSWORD })).status).toBe(202);
  const code = gateway.latestCode(email);
  expect(code).toEqual(expect.any(String));
  expect((await post("/auth/confirm", { email, code })).status).toBe(200);
  const login = await post("/auth/login", { email, password: PASSWORD });
  expect(login.status).toBe(200);
  return {
    email,
    accessToken: String(login.body.accessToken),
    refreshToken: String(login.body.refreshToken),
    username: String(login.body.username),
  };
}

describe("openapi.yaml against a local gateway", () => {
  const gateway = useTestGateway();
  const send = (method: Method, docPath: string, options?: CallOptions) =>
    call(gateway.url, method, docPath, options);

  test("is a valid OpenAPI 3.1 document", () => {
    // The validator is ESM-only; run it in a child Node process rather than through Jest's loader.
    const script = [
      'import { Validator } from "@seriousme/openapi-schema-validator";',
      'import { readFileSync } from "node:fs";',
      "const validator = new Validator();",
      'const result = await validator.validate(readFileSync(process.argv[1], "utf8"));',
      "process.stdout.write(JSON.stringify({ ...result, version: validator.version }));",
    ].join("\n");
    const output = execFileSync(
      process.execPath,
      ["--input-type=module", "-e", script, DOCUMENT_PATH],
      { cwd: ROOT, encoding: "utf8" },
    );
    const result = JSON.parse(output) as { valid: boolean; version: string; errors?: unknown };
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(result.version).toBe("3.1");
  });

  test("every schema in the document compiles in strict JSON Schema 2020-12", () => {
    for (const name of Object.keys(doc.components.schemas ?? {})) {
      expect(() => validatorAt(["components", "schemas", name])).not.toThrow();
    }
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        "/_local/confirmation-code",
        "/_local/invite",
        "/_local/mfa",
        "/auth/login/challenge",
        "/auth/mfa/disable",
        "/auth/mfa/totp",
        "/auth/mfa/totp/verify",
        "/auth/confirm",
        "/auth/confirm/resend",
        "/auth/login",
        "/auth/logout",
        "/auth/me",
        "/auth/refresh",
        "/auth/register",
        "/auth/password/forgot",
        "/auth/password/reset",
        "/auth/password/change",
        "/auth/account/delete",
        "/auth/session",
        "/auth/session/login",
        "/auth/session/login/challenge",
        "/auth/session/logout",
        "/auth/session/refresh",
        "/healthz",
        "/openapi.yaml",
        "/readyz",
      ].sort(),
    );
  });

  test("every example in the document matches its schema", () => {
    const checked: string[] = [];
    const visit = (node: unknown, pointer: string[]): void => {
      if (typeof node !== "object" || node === null) return;
      const media = node as { schema?: unknown; example?: unknown; examples?: unknown };
      const isMediaType = pointer.at(-2) === "content" && media.schema !== undefined;
      if (isMediaType) {
        const samples: [string, unknown][] = [];
        if (media.example !== undefined) samples.push(["example", media.example]);
        for (const [name, entry] of Object.entries(media.examples ?? {})) {
          samples.push([`examples/${name}`, (entry as { value?: unknown }).value]);
        }
        const validate = validatorAt([...pointer, "schema"]);
        for (const [name, sample] of samples) {
          const where = `${pointer.join("/")}/${name}`;
          checked.push(where);
          expect([where, validate(sample), ajv.errorsText(validate.errors)]).toEqual([
            where,
            true,
            "No errors",
          ]);
        }
        return;
      }
      for (const [key, value] of Object.entries(node)) visit(value, [...pointer, key]);
    };
    visit(doc.paths, ["paths"]);
    visit(doc.components.responses, ["components", "responses"]);
    expect(checked.length).toBeGreaterThanOrEqual(10);
  });

  test("the validator rejects an answer that breaks the document (control)", () => {
    const answer = (status: number, text: string, headers: Record<string, string> = {}) => ({
      status,
      headers: new Headers({ "content-type": "application/json", ...headers }),
      text,
      json: () => JSON.parse(text) as unknown,
    });
    const check = (candidate: Answer) => () => {
      conform("post", "/auth/login", candidate);
    };
    const credentials = '{"error":{"code":"invalid_credentials","message":"x"}}';
    expect(check(answer(401, credentials))).toThrow(/missing header X-Request-Id/);
    const wrongCode = '{"error":{"code":"invalid_token","message":"x"}}';
    expect(check(answer(401, wrongCode, { "x-request-id": "a" }))).toThrow(/body/);
    expect(check(answer(418, "{}"))).toThrow(/not documented/);
    produced.delete("POST /auth/login 401"); // only real answers count as produced
  });

  test("the whole lifecycle answers as documented", async () => {
    const email = `openapi+${Date.now()}@example.com`;

    // Register: 202 twice (uniform), 400 for a malformed body, a weak password and broken JSON.
    const first = await send("post", "/auth/register", { body: { email, password: PASSWORD } });
    expect(first.status).toBe(202);
    const again = await send("post", "/auth/register", { body: { email, password: PASSWORD } });
    expect(again.text).toBe(first.text);
    const malformed = await send("post", "/auth/register", {
      body: { email: "not-an-email", password: 1, extra: true },
    });
    expect(errorCode(malformed)).toBe("invalid_request");
    const weak = await send("post", "/auth/register", { body: { email, password: "weak" } });
    expect(errorCode(weak)).toBe("invalid_request");
    const brokenJson = await send("post", "/auth/login", { raw: '{"email":' });
    expect(errorCode(brokenJson)).toBe("invalid_request");

    // The local-only code endpoint: 200 with the latest code, 404 for an address with none.
    const code = await send("get", "/_local/confirmation-code", { query: { email } });
    expect(code.status).toBe(200);
    expect(code.body.code).toBe(gateway.latestCode(email));
    const noCode = await send("get", "/_local/confirmation-code", {
      query: { email: `nobody+${Date.now()}@example.com` },
    });
    expect(noCode.status).toBe(404);
    const noEmail = await send("get", "/_local/confirmation-code");
    expect(noEmail.status).toBe(404);

    // Confirm: 400 invalid_code for a wrong code, 200, then 400 for the used code; 400 malformed.
    const wrongCode = await send("post", "/auth/confirm", { body: { email, code: "000000" } });
    expect(errorCode(wrongCode)).toBe("invalid_code");
    const confirmed = await send("post", "/auth/confirm", {
      body: { email, code: String(code.body.code) },
    });
    expect(confirmed.status).toBe(200);
    const reused = await send("post", "/auth/confirm", {
      body: { email, code: String(code.body.code) },
    });
    expect(errorCode(reused)).toBe("invalid_code");
    const badConfirm = await send("post", "/auth/confirm", { body: { email, code: "12ab" } });
    expect(errorCode(badConfirm)).toBe("invalid_request");

    // Resend: 202 for anyone; 400 malformed.
    expect((await send("post", "/auth/confirm/resend", { body: { email } })).status).toBe(202);
    expect((await send("post", "/auth/confirm/resend", { body: { email: "x" } })).status).toBe(400);

    // Login: 401, 400, 200.
    const wrong = await send("post", "/auth/login", { body: { email, password: "Wrong-Pw1!" } });
    expect(errorCode(wrong)).toBe("invalid_credentials");
    expect((await send("post", "/auth/login", { body: { email } })).status).toBe(400);
    const login = await send("post", "/auth/login", { body: { email, password: PASSWORD } });
    expect(login.status).toBe(200);
    const accessToken = String(login.body.accessToken);
    const refreshToken = String(login.body.refreshToken);
    const username = String(login.body.username);

    // Me: 200, 401 without and with a bad token (and the RFC 6750 challenge).
    const me = await send("get", "/auth/me", { token: accessToken });
    expect(me.body.username).toBe(username);
    const noToken = await send("get", "/auth/me");
    expect(noToken.status).toBe(401);
    expect(noToken.headers.get("www-authenticate")).toMatch(/^Bearer\b/);
    const badToken = await send("get", "/auth/me", { token: "not.a.token" });
    expect(badToken.headers.get("www-authenticate")).toContain('error="invalid_token"');

    // Refresh: 200, 400, 401.
    const refreshed = await send("post", "/auth/refresh", { body: { refreshToken, username } });
    expect(refreshed.status).toBe(200);
    expect((await send("post", "/auth/refresh", { body: { refreshToken } })).status).toBe(400);
    const unknownToken = await send("post", "/auth/refresh", {
      body: { refreshToken: "bm90LWEtdG9rZW4", username },
    });
    expect(errorCode(unknownToken)).toBe("invalid_token");
    const otherUser = await send("post", "/auth/refresh", {
      body: { refreshToken, username: "someone-else" },
    });
    expect(otherUser.text).toBe(unknownToken.text);

    // Logout: 401 without a token, 400 for a malformed body, then 204; afterwards the tokens are dead.
    expect((await send("post", "/auth/logout", { body: { refreshToken } })).status).toBe(401);
    const badLogout = await send("post", "/auth/logout", {
      token: String(refreshed.body.accessToken),
      body: { refreshToken, extra: 1 },
    });
    expect(errorCode(badLogout)).toBe("invalid_request");
    const logout = await send("post", "/auth/logout", {
      token: String(refreshed.body.accessToken),
      body: { refreshToken },
    });
    expect(logout.status).toBe(204);
    expect((await send("get", "/auth/me", { token: accessToken })).status).toBe(401);
    expect((await send("post", "/auth/refresh", { body: { refreshToken, username } })).status).toBe(
      401,
    );
  }, 60_000);

  test("account recovery and management answer as documented", async () => {
    const session = await freshSession(gateway, "recovery");
    const { email } = session;
    const NEW = "Openapi-New-Pw2!";
    const post = (docPath: string, body: unknown, token?: string) =>
      send("post", docPath, { body, ...(token === undefined ? {} : { token }) });

    // Forgot: 202 for anyone; 400 malformed.
    expect((await post("/auth/password/forgot", { email })).status).toBe(202);
    expect((await post("/auth/password/forgot", { email: "x" })).status).toBe(400);
    const code = String(gateway.latestCode(email));

    // Reset: 400 invalid_code, 400 invalid_request (policy), 200.
    const wrongCode = code === "000000" ? "111111" : "000000";
    const wrong = await post("/auth/password/reset", { email, code: wrongCode, password: NEW });
    expect(errorCode(wrong)).toBe("invalid_code");
    const weak = await post("/auth/password/reset", { email, code, password: "weak" });
    expect(errorCode(weak)).toBe("invalid_request");
    const reset = await post("/auth/password/reset", { email, code, password: NEW });
    expect(reset.body).toEqual({ status: "password_reset" });
    expect((await send("get", "/auth/me", { token: session.accessToken })).status).toBe(401);

    // Change: 401 invalid_token (old session), 401 invalid_credentials, 400, 200.
    const login = await post("/auth/login", { email, password: NEW });
    const token = String(login.body.accessToken);
    const body = { currentPassword: NEW, newPassword: PASSWORD };
    const ended = await post("/auth/password/change", body, session.accessToken);
    expect(errorCode(ended)).toBe("invalid_token");
    const badCurrent = await post(
      "/auth/password/change",
      { ...body, currentPassword: "No-1!aaaa" },
      token,
    );
    expect(errorCode(badCurrent)).toBe("invalid_credentials");
    expect((await post("/auth/password/change", { currentPassword: NEW }, token)).status).toBe(400);
    const changed = await post("/auth/password/change", body, token);
    expect(changed.status).toBe(200);
    const fresh = String(changed.body.accessToken);

    // Delete: 401 invalid_token, 401 invalid_credentials, 400, 204.
    expect(errorCode(await post("/auth/account/delete", { password: PASSWORD }, token))).toBe(
      "invalid_token",
    );
    expect(errorCode(await post("/auth/account/delete", { password: NEW }, fresh))).toBe(
      "invalid_credentials",
    );
    expect((await post("/auth/account/delete", {}, fresh)).status).toBe(400);
    expect((await post("/auth/account/delete", { password: PASSWORD }, fresh)).status).toBe(204);
    expect((await send("get", "/auth/me", { token: fresh })).status).toBe(401);
  }, 60_000);

  test("browser sessions answer as documented, and cookies authenticate the signed-in routes", async () => {
    const { email } = await freshSession(gateway, "cookies");
    const jar = new CookieJar();
    const browser = (method: Method, docPath: string, options: CallOptions = {}) =>
      send(method, docPath, { jar, headers: CSRF, ...options });
    const credentials = { email, password: PASSWORD };

    // Log in: 403 without X-CSRF or from a foreign origin, 400, 401, then 200 with cookies only.
    const noHeader = await send("post", "/auth/session/login", { body: credentials });
    expect(errorCode(noHeader)).toBe("csrf_failed");
    const foreign = await send("post", "/auth/session/login", {
      body: credentials,
      headers: { ...CSRF, Origin: "https://evil.example" },
    });
    expect(errorCode(foreign)).toBe("csrf_failed");
    expect((await browser("post", "/auth/session/login", { body: { email } })).status).toBe(400);
    const wrong = await browser("post", "/auth/session/login", {
      body: { email, password: "Wrong-Pw1!" },
    });
    expect(errorCode(wrong)).toBe("invalid_credentials");
    const login = await browser("post", "/auth/session/login", { body: credentials });
    expect(login.status).toBe(200);
    expect(login.text).not.toMatch(/eyJ/);
    expect(jar.names()).toEqual(["cg-refresh", "cg-session"]);

    // The cookie authenticates GET /auth/session and /auth/me; without it, 401.
    expect((await browser("get", "/auth/session")).body.user).toMatchObject({ email });
    expect((await send("get", "/auth/session")).status).toBe(401);
    expect((await browser("get", "/auth/me")).status).toBe(200);

    // Every unsafe route a cookie authenticates wants X-CSRF: 403 csrf_failed without it.
    const unsafe: [string, unknown][] = [
      ["/auth/session/refresh", undefined],
      ["/auth/session/logout", undefined],
      ["/auth/logout", {}],
      ["/auth/mfa/totp", {}],
      ["/auth/mfa/totp/verify", { code: "123456" }],
      ["/auth/mfa/disable", { password: PASSWORD }],
      ["/auth/password/change", { currentPassword: PASSWORD, newPassword: `${PASSWORD}x` }],
      ["/auth/account/delete", { password: PASSWORD }],
    ];
    for (const [route, body] of unsafe) {
      const refused = await send("post", route, { jar, headers: {}, body: body ?? {} });
      expect([route, errorCode(refused)]).toEqual([route, "csrf_failed"]);
    }
    expect((await browser("get", "/auth/session")).status).toBe(200); // nothing was done

    // Refresh: 200 with fresh cookies.
    const refreshed = await browser("post", "/auth/session/refresh");
    expect(refreshed.body).toEqual({ expiresIn: expect.any(Number) });

    // Change password with the cookie: 200, a session body and fresh cookies; the old ones die.
    const old = jar.copy();
    const NEW = "Openapi-Cookie-Pw3!";
    const changed = await browser("post", "/auth/password/change", {
      body: { currentPassword: PASSWORD, newPassword: NEW },
    });
    expect(changed.body).toMatchObject({ username: expect.any(String), user: { email } });
    expect(changed.text).not.toMatch(/eyJ/);
    expect((await send("get", "/auth/session", { jar: old.copy() })).status).toBe(401);
    const stale = await send("post", "/auth/session/refresh", { jar: old, headers: CSRF });
    expect(errorCode(stale)).toBe("invalid_token");
    expect(old.names()).toEqual([]); // the refusal cleared them
    expect((await browser("get", "/auth/session")).status).toBe(200);

    // Log out: 204, cookies cleared; 204 again without any session.
    expect((await browser("post", "/auth/session/logout")).status).toBe(204);
    expect(jar.names()).toEqual([]);
    expect((await browser("post", "/auth/session/logout")).status).toBe(204);

    // A challenge through the session login (an invited user), answered with cookies.
    const invited = `openapi-invited+${Date.now()}@example.com`;
    const invite = await send("post", "/_local/invite", { body: { email: invited } });
    const first = await browser("post", "/auth/session/login", {
      body: { email: invited, password: String(invite.body.temporaryPassword) },
    });
    expect(first.body.challenge).toBe("NEW_PASSWORD_REQUIRED");
    expect(jar.names()).toEqual([]);
    const answer = { session: String(first.body.session), newPassword: NEW };
    const challengeNoHeader = await send("post", "/auth/session/login/challenge", {
      body: answer,
    });
    expect(errorCode(challengeNoHeader)).toBe("csrf_failed");
    expect((await browser("post", "/auth/session/login/challenge", { body: {} })).status).toBe(400);
    const tampered = await browser("post", "/auth/session/login/challenge", {
      body: { ...answer, session: `${answer.session}x` },
    });
    expect(errorCode(tampered)).toBe("invalid_credentials");
    const done = await browser("post", "/auth/session/login/challenge", { body: answer });
    expect(done.body).toMatchObject({ user: { email: invited } });
    expect(jar.names()).toEqual(["cg-refresh", "cg-session"]);

    // Delete the account with the cookie: 204, cookies cleared.
    const deleted = await browser("post", "/auth/account/delete", { body: { password: NEW } });
    expect(deleted.status).toBe(204);
    expect(jar.names()).toEqual([]);
  }, 60_000);

  test("every JSON route answers 413 for a large body and 415 for another media type", async () => {
    const routes = jsonRoutes();
    expect(routes.length).toBeGreaterThanOrEqual(6);
    const headers = CSRF; // so the browser-session routes look at the body at all
    for (const route of routes) {
      const huge = await send("post", route, { body: { padding: "x".repeat(64 * 1024) }, headers });
      expect([route, errorCode(huge)]).toEqual([route, "payload_too_large"]);
      const form = await send("post", route, {
        raw: "email=a",
        contentType: "text/plain",
        headers,
      });
      expect([route, errorCode(form)]).toEqual([route, "unsupported_media_type"]);
    }
  }, 30_000);

  test("probes and the document itself answer as documented", async () => {
    expect((await send("get", "/healthz")).body).toEqual({ status: "ok" });
    expect((await send("get", "/readyz")).status).toBe(200);
    const served = await send("get", "/openapi.yaml");
    expect(served.text).toBe(DOCUMENT_TEXT);
  });

  test("a wrong method answers the documented 405 on every path", async () => {
    for (const docPath of Object.keys(doc.paths)) {
      const response = await fetch(new URL(docPath, gateway.url), { method: "DELETE" });
      const text = await response.text();
      const answer = {
        status: response.status,
        headers: response.headers,
        text,
        json: () => JSON.parse(text) as unknown,
      };
      expect([docPath, answer.status]).toEqual([docPath, 405]);
      const where = `DELETE ${docPath} 405`;
      const pointer = ["components", "responses", "MethodNotAllowed"];
      conformTo(where, doc.components.responses?.MethodNotAllowed, pointer, answer);
    }
  });

  test("an address the document refuses is refused by the gateway (0@io)", async () => {
    const validEmail = validatorAt(["components", "schemas", "Email"]);
    for (const email of ["0@io", "a@localhost", "a..b@example.com"]) {
      expect([email, validEmail(email)]).toEqual([email, false]);
      const reply = await send("post", "/auth/confirm/resend", { body: { email } });
      expect([email, errorCode(reply)]).toEqual([email, "invalid_request"]);
    }
  });
});

describe("openapi.yaml against a rate-limited gateway", () => {
  const IP_MAX = 40;
  const gateway = useTestGateway({
    RATE_LIMIT: "on",
    RATE_LIMIT_IP_MAX: String(IP_MAX),
    RATE_LIMIT_ACCOUNT_MAX: "3",
  });

  /** Repeats a request until it answers 429 (within `tries`), and checks the refusal. */
  async function until429(route: string, tries: number, send: () => Promise<Reply>) {
    let limited: Reply | undefined;
    for (let attempt = 0; attempt < tries && !limited; attempt += 1) {
      const reply = await send();
      if (reply.status === 429) limited = reply;
    }
    expect([route, limited && errorCode(limited)]).toEqual([route, "too_many_requests"]);
    expect(Number(limited!.headers.get("retry-after"))).toBeGreaterThan(0);
  }

  test("the per-account limit answers 429 with Retry-After on the account routes", async () => {
    const email = `limited+${Date.now()}@example.com`;
    const bodies: Record<string, unknown> = {
      "/auth/register": { email, password: PASSWORD },
      "/auth/confirm": { email, code: "000000" },
      "/auth/confirm/resend": { email },
      "/auth/login": { email, password: PASSWORD },
      "/auth/password/forgot": { email },
      "/auth/password/reset": { email, code: "000000", password: PASSWORD },
    };
    for (const [route, body] of Object.entries(bodies)) {
      await until429(route, 5, () => call(gateway.url, "post", route, { body }));
    }
  }, 60_000);

  test("the per-IP limit answers 429 with Retry-After on the token routes", async () => {
    const session = await freshSession(gateway, "ip-limited");
    const refresh = { refreshToken: session.refreshToken, username: session.username };
    await until429("/auth/refresh", IP_MAX, () =>
      call(gateway.url, "post", "/auth/refresh", { body: refresh }),
    );
    // The IP's quota is spent: every route refuses now, before any token check.
    await until429("/auth/me", 1, () =>
      call(gateway.url, "get", "/auth/me", { token: session.accessToken }),
    );
    await until429("/auth/logout", 1, () =>
      call(gateway.url, "post", "/auth/logout", { token: session.accessToken, body: refresh }),
    );
    const token = session.accessToken;
    const limited: [string, unknown, string | undefined][] = [
      ["/auth/login/challenge", { session: "x", code: "123456" }, undefined],
      ["/auth/mfa/totp", {}, token],
      ["/auth/mfa/totp/verify", { code: "123456" }, token],
      ["/auth/mfa/disable", { password: PASSWORD }, token],
      ["/_local/invite", { email: session.email }, undefined],
      ["/_local/mfa", { email: session.email, methods: [] }, undefined],
      ["/auth/session/login", { email: session.email, password: PASSWORD }, undefined],
      ["/auth/session/login/challenge", { session: "x", code: "123456" }, undefined],
      ["/auth/session/refresh", {}, undefined],
      ["/auth/session/logout", {}, undefined],
    ];
    for (const [route, body, bearer] of limited) {
      await until429(route, 1, () =>
        call(gateway.url, "post", route, {
          body,
          headers: CSRF,
          ...(bearer ? { token: bearer } : {}),
        }),
      );
    }
    await until429("/auth/session", 1, () => call(gateway.url, "get", "/auth/session"));
    const change = { currentPassword: PASSWORD, newPassword: `${PASSWORD}x` };
    await until429("/auth/password/change", 1, () =>
      call(gateway.url, "post", "/auth/password/change", {
        token: session.accessToken,
        body: change,
      }),
    );
    await until429("/auth/account/delete", 1, () =>
      call(gateway.url, "post", "/auth/account/delete", {
        token: session.accessToken,
        body: { password: PASSWORD },
      }),
    );
  }, 60_000);
});

describe("openapi.yaml against a gateway whose Cognito is down", () => {
  const gateway = useTestGateway({ COGNITO_MAX_ATTEMPTS: "1", COGNITO_TIMEOUT_MS: "500" });

  test("lifecycle routes answer 503 with Retry-After, and /readyz answers 503", async () => {
    const session = await freshSession(gateway, "down");
    const spare = await freshSession(gateway, "down-mfa");
    const jar = new CookieJar();
    const browser = { jar, headers: CSRF };
    const credentials = { email: spare.email, password: PASSWORD };
    expect(
      (await call(gateway.url, "post", "/auth/session/login", { ...browser, body: credentials }))
        .status,
    ).toBe(200);
    const invited = `down-invited+${Date.now()}@example.com`;
    const invite = await call(gateway.url, "post", "/_local/invite", { body: { email: invited } });
    const challenge = await call(gateway.url, "post", "/auth/session/login", {
      headers: CSRF,
      body: { email: invited, password: String(invite.body.temporaryPassword) },
    });
    expect(challenge.body.challenge).toBe("NEW_PASSWORD_REQUIRED");
    await gateway.running.local?.close(); // the emulator stops answering; the gateway stays up
    const sessionRoutes: [string, unknown][] = [
      ["/auth/session/login", credentials],
      ["/auth/session/refresh", undefined],
      [
        "/auth/session/login/challenge",
        { session: challenge.body.session, newPassword: "N3w-Passw0rd!" },
      ],
    ];
    for (const [route, body] of sessionRoutes) {
      const reply = await call(gateway.url, "post", route, {
        ...browser,
        ...(body === undefined ? {} : { body }),
      });
      expect([route, errorCode(reply)]).toEqual([route, "upstream_unavailable"]);
      expect(Number(reply.headers.get("retry-after"))).toBeGreaterThan(0);
    }
    const bodies: Record<string, unknown> = {
      "/auth/register": { email: `down+new-${Date.now()}@example.com`, password: PASSWORD },
      "/auth/confirm": { email: session.email, code: "000000" },
      "/auth/confirm/resend": { email: session.email },
      "/auth/login": { email: session.email, password: PASSWORD },
      "/auth/refresh": { refreshToken: session.refreshToken, username: session.username },
      "/auth/password/forgot": { email: session.email },
      "/auth/password/reset": { email: session.email, code: "000000", password: PASSWORD },
      "/auth/password/change": { currentPassword: PASSWORD, newPassword: `${PASSWORD}x` },
      "/auth/account/delete": { password: PASSWORD },
    };
    for (const [route, body] of Object.entries(bodies)) {
      const reply = await call(gateway.url, "post", route, { body, token: session.accessToken });
      expect([route, errorCode(reply)]).toEqual([route, "upstream_unavailable"]);
      expect(Number(reply.headers.get("retry-after"))).toBeGreaterThan(0);
    }
    const logout = await call(gateway.url, "post", "/auth/logout", {
      token: session.accessToken,
      body: { refreshToken: session.refreshToken },
    });
    expect(logout.status).toBe(204); // local revocation holds even when Cognito is down
    const mfaBodies: Record<string, unknown> = {
      "/auth/mfa/totp": {},
      "/auth/mfa/totp/verify": { code: "123456" },
      "/auth/mfa/disable": { password: PASSWORD },
    };
    const other = spare.accessToken;
    for (const [route, body] of Object.entries(mfaBodies)) {
      const reply = await call(gateway.url, "post", route, { body, token: other });
      expect([route, errorCode(reply)]).toEqual([route, "upstream_unavailable"]);
    }
    const ready = await call(gateway.url, "get", "/readyz");
    expect(ready.status).toBe(503);
    expect(ready.body).toEqual({
      status: "unavailable",
      checks: { keys: "ok", cognito: "unreachable" },
    });
  }, 60_000);
});

describe("openapi.yaml: sign-in challenges, MFA and the local invitation", () => {
  const gateway = useTestGateway({ LOCAL_MFA: "optional" });
  const send = (method: Method, docPath: string, options?: CallOptions) =>
    call(gateway.url, method, docPath, options);

  test("TOTP enrolment, an MFA sign-in, turning it off, and an invitation answer as documented", async () => {
    const session = await freshSession(gateway, "mfa");
    const token = session.accessToken;
    expect((await send("post", "/auth/mfa/totp", { body: {} })).status).toBe(401);
    const enrol = await send("post", "/auth/mfa/totp", { token, body: {} });
    const secret = String(enrol.body.secret);
    const bad = await send("post", "/auth/mfa/totp/verify", { token, body: { code: "000000" } });
    expect(errorCode(bad)).toBe("invalid_code");
    expect((await send("post", "/auth/mfa/totp/verify", { token, body: {} })).status).toBe(400);
    expect((await send("post", "/auth/mfa/totp/verify", { body: { code: "000000" } })).status).toBe(
      401,
    );
    const verified = await send("post", "/auth/mfa/totp/verify", {
      token,
      body: { code: totpCode(secret) },
    });
    expect(verified.status).toBe(204);

    const credentials = { email: session.email, password: PASSWORD };
    const challenge = await send("post", "/auth/login", { body: credentials });
    expect(challenge.body.challenge).toBe("SOFTWARE_TOKEN_MFA");
    const malformed = await send("post", "/auth/login/challenge", { body: { code: "1" } });
    expect(errorCode(malformed)).toBe("invalid_request");
    const wrong = await send("post", "/auth/login/challenge", {
      body: { session: challenge.body.session, code: "000000" },
    });
    expect(errorCode(wrong)).toBe("invalid_credentials");
    const next = await send("post", "/auth/login", { body: credentials });
    const signedIn = await send("post", "/auth/login/challenge", {
      body: { session: next.body.session, code: totpCode(secret) },
    });
    expect(signedIn.status).toBe(200);

    const fresh = String(signedIn.body.accessToken);
    expect((await send("post", "/auth/mfa/disable", { token: fresh, body: {} })).status).toBe(400);
    expect((await send("post", "/auth/mfa/disable", { body: { password: PASSWORD } })).status).toBe(
      401,
    );
    const wrongPassword = await send("post", "/auth/mfa/disable", {
      token: fresh,
      body: { password: "Wrong-Pw1!" },
    });
    expect(errorCode(wrongPassword)).toBe("invalid_credentials");
    const off = await send("post", "/auth/mfa/disable", {
      token: fresh,
      body: { password: PASSWORD },
    });
    expect(off.status).toBe(204);

    const invited = `invited+${Date.now()}@example.com`;
    const invite = await send("post", "/_local/invite", { body: { email: invited } });
    expect(invite.status).toBe(200);
    expect((await send("post", "/_local/invite", { body: { email: invited } })).status).toBe(400);
    const first = await send("post", "/auth/login", {
      body: { email: invited, password: String(invite.body.temporaryPassword) },
    });
    expect(first.body.challenge).toBe("NEW_PASSWORD_REQUIRED");
  }, 60_000);
});

describe("openapi.yaml: MFA by SMS and e-mail through the local-only routes", () => {
  const gateway = useTestGateway({ LOCAL_MFA: "optional" });
  const send = (method: Method, docPath: string, options?: CallOptions) =>
    call(gateway.url, method, docPath, options);

  test("/_local/mfa and the code by phone lead through SELECT_MFA_TYPE and SMS_MFA", async () => {
    const { email } = await freshSession(gateway, "codes");
    const phone = `+1555${String(Date.now()).slice(-7)}`;
    const mfa = (body: unknown) => send("post", "/_local/mfa", { body });
    const unknown = await mfa({ email: `nobody+${Date.now()}@example.com`, methods: [] });
    expect(unknown.body.error).toMatchObject({
      code: "invalid_request",
      details: [{ field: "email" }],
    });
    const noNumber = await mfa({ email, methods: ["SMS_MFA"] });
    expect(noNumber.body.error).toMatchObject({ details: [{ field: "phoneNumber" }] });
    expect((await mfa({ email, methods: ["SMS_MFA"], phoneNumber: "555" })).status).toBe(400);
    const both = await mfa({ email, methods: ["SMS_MFA", "EMAIL_OTP"], phoneNumber: phone });
    expect(both.body).toEqual({ email, methods: ["SMS_MFA", "EMAIL_OTP"] });

    const credentials = { email, password: PASSWORD };
    const select = await send("post", "/auth/login", { body: credentials });
    expect(select.body).toMatchObject({
      challenge: "SELECT_MFA_TYPE",
      options: ["SMS_MFA", "EMAIL_OTP"],
    });
    const sms = await send("post", "/auth/login/challenge", {
      body: { session: select.body.session, mfaType: "SMS_MFA" },
    });
    expect(sms.body).toMatchObject({
      challenge: "SMS_MFA",
      destination: `+*******${phone.slice(-4)}`,
    });
    const code = await send("get", "/_local/confirmation-code", { query: { phone } });
    expect(code.body).toEqual({ phone, code: expect.stringMatching(/^\d{6}$/) });
    const none = await send("get", "/_local/confirmation-code", {
      query: { phone: "+15550000000" },
    });
    expect(none.status).toBe(404);
    const done = await send("post", "/auth/login/challenge", {
      body: { session: sms.body.session, code: code.body.code },
    });
    expect(done.body.tokenType).toBe("Bearer");

    const off = await mfa({ email, methods: [] });
    expect(off.body).toEqual({ email, methods: [] });
    expect((await send("post", "/auth/login", { body: credentials })).body.tokenType).toBe(
      "Bearer",
    );
  }, 60_000);
});

describe("openapi.yaml states the input rules the gateway enforces", () => {
  const schema = (name: string) =>
    doc.components.schemas?.[name] as { pattern?: string; minLength?: number; maxLength?: number };
  const registerPassword = () =>
    (doc.components.schemas?.RegisterRequest as { properties: Record<string, { $ref?: string }> })
      .properties.password?.$ref;

  test("Email carries the gateway's own pattern and length", () => {
    expect(schema("Email").pattern).toBe(EMAIL_PATTERN.source);
    expect(schema("Email").maxLength).toBe(EMAIL_MAX_LENGTH);
  });

  test("register's password is NewPassword: the default policy as pattern and lengths", () => {
    expect(registerPassword()).toBe("#/components/schemas/NewPassword");
    expect(schema("NewPassword").pattern).toBe(passwordPattern(DEFAULT_PASSWORD_POLICY));
    expect(schema("NewPassword").minLength).toBe(DEFAULT_PASSWORD_POLICY.minLength);
    expect(schema("NewPassword").maxLength).toBe(256);
  });

  test("the document and the gateway agree on every address and every new password", () => {
    const validEmail = validatorAt(["components", "schemas", "Email"]);
    const validPassword = validatorAt(["components", "schemas", "NewPassword"]);
    const gatewayEmail = (email: string) => resendBody.safeParse({ email }).success;
    const gatewayPassword = (password: string) =>
      Array.from(password).length <= 256 &&
      passwordProblems(password, DEFAULT_PASSWORD_POLICY).length === 0;
    const addressChars = fc.constantFrom(..."ab0Z.-_'+@ !".split(""));
    const address = fc.oneof(
      fc.emailAddress(),
      fc.string({ unit: addressChars, maxLength: 12 }),
      fc
        .tuple(fc.string({ unit: addressChars, maxLength: 6 }), fc.domain())
        .map(([l, d]) => `${l}@${d}`),
    );
    fc.assert(
      fc.property(address, (email) => {
        // The gateway trims and lower-cases first; on a normalised address the two must agree.
        if (email.trim().toLowerCase() !== email) return !validEmail(email) || gatewayEmail(email);
        return validEmail(email) === gatewayEmail(email);
      }),
      { numRuns: 2000 },
    );
    const passwordChars = fc.constantFrom(...Array.from("aZ9! \n\t\u00e9\u{1F600}-"));
    fc.assert(
      fc.property(fc.string({ unit: passwordChars, maxLength: 12 }), (password) => {
        return validPassword(password) === gatewayPassword(password);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("openapi.yaml coverage", () => {
  test("every documented answer was produced, or is listed with the reason it cannot be", () => {
    const documented: string[] = [];
    for (const [docPath, item] of Object.entries(doc.paths)) {
      for (const method of ["get", "post"] as const) {
        for (const status of Object.keys(item[method]?.responses ?? {})) {
          documented.push(`${method.toUpperCase()} ${docPath} ${status}`);
        }
      }
    }
    const missing = documented.filter((key) => !produced.has(key) && !(key in NOT_PRODUCED));
    expect(missing).toEqual([]);
    const stale = Object.keys(NOT_PRODUCED).filter(
      (key) => produced.has(key) || !documented.includes(key),
    );
    expect(stale).toEqual([]);
  });
});
