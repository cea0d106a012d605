/**
 * Account recovery and management over real HTTP against the embedded emulator, with the real
 * AWS SDK: forgot → code → reset, change and delete, each ending every earlier session — access
 * and id tokens, and tokens refreshed later from those sessions — while a new sign-in works at once.
 */
import {
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { createVerifier } from "../../src/auth/verifier";
import { CognitoAdapter } from "../../src/cognito/adapter";
import { secretHash } from "../../src/cognito/secret-hash";
import { configOf } from "../../src/gateway";
import { createAccount } from "../../tools/lib/gateways";
import { send, type Answer } from "../../tools/lib/http";
import { useTestGateway } from "../helpers/gateway";
import { uniqueEmail } from "../helpers/local";

const PASSWORD = "Sup3r-secret!";
const NEW_PASSWORD = "N3w-secret-pass!";
const gw = useTestGateway();

function post(path: string, json: object, token?: string): Promise<Answer> {
  const headers = token === undefined ? undefined : { authorization: `Bearer ${token}` };
  return send(`${gw.auth}${path}`, { json, ...(headers ? { headers } : {}) });
}

async function me(token: string): Promise<number> {
  const res = await send(`${gw.auth}/me`, { headers: { authorization: `Bearer ${token}` } });
  return res.status;
}

interface Session {
  accessToken: string;
  idToken: string;
  refreshToken: string;
  username: string;
}

/** Every token and reset code these tests handled, for the clean-logs check at the end. */
const handled = { tokens: [] as string[], codes: new Set<string>() };

async function login(email: string, password: string): Promise<Session> {
  const res = await post("/login", { email, password });
  expect(res.status).toBe(200);
  const session = res.body as Session;
  handled.tokens.push(session.accessToken, session.idToken, session.refreshToken);
  return session;
}

/** Every token of a session (and a refresh of it) as /me and /refresh see them. */
async function sessionAnswers(session: Session) {
  const refreshed = await post("/refresh", {
    refreshToken: session.refreshToken,
    username: session.username,
  });
  return { access: await me(session.accessToken), refresh: refreshed.status };
}

/** Whether the gateway's keys and revocations accept an id token (as requireAuth for id would). */
async function idTokenAccepted(token: string): Promise<boolean> {
  const { keys, revocations } = gw.running.gateway;
  const config = configOf(gw.running.gateway);
  const verifier = createVerifier({
    issuer: config.issuer,
    clientId: config.clientId,
    tokenUse: "id",
    keys,
    revocations,
  });
  return verifier.verify(token).then(
    () => true,
    () => false,
  );
}

/** REFRESH_TOKEN_AUTH straight at the emulator, past the gateway. */
async function refreshAtCognito(session: Session) {
  const local = gw.running.local!;
  const client = new CognitoIdentityProviderClient({
    endpoint: local.endpoint,
    region: local.region,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  await new Promise((resolve) => setTimeout(resolve, 1100)); // a later second than the reset
  const out = await client.send(
    new InitiateAuthCommand({
      ClientId: local.clientId,
      AuthFlow: "REFRESH_TOKEN_AUTH",
      AuthParameters: {
        REFRESH_TOKEN: session.refreshToken,
        SECRET_HASH: secretHash(session.username, local.clientId, local.clientSecret),
      },
    }),
  );
  client.destroy();
  const accessToken = out.AuthenticationResult!.AccessToken!;
  const claims = JSON.parse(Buffer.from(accessToken.split(".")[1]!, "base64url").toString());
  return {
    accessToken,
    idToken: out.AuthenticationResult!.IdToken!,
    iat: claims.iat as number,
    auth_time: claims.auth_time as number,
  };
}

describe("forgot and reset", () => {
  it("answers forgot the same 202 for existing, unknown, unconfirmed addresses", async () => {
    const confirmed = uniqueEmail("forgot");
    await createAccount(gw, confirmed, PASSWORD);
    const pending = uniqueEmail("forgot-pending");
    await createAccount(gw, pending, PASSWORD, false);
    const answers = [
      await post("/password/forgot", { email: confirmed }),
      await post("/password/forgot", { email: uniqueEmail("nobody") }),
      await post("/password/forgot", { email: pending }),
    ];
    for (const a of answers) expect(a).toMatchObject({ status: 202, body: answers[0]!.body });
    expect(answers[0]!.body).toMatchObject({ status: "accepted" });
    expect(gw.logs()).toContain(`LOCAL MODE password reset code for ${confirmed}: `);
  });

  it("resets: old access, id and refreshed tokens are refused, a new login works at once", async () => {
    const email = uniqueEmail("reset");
    await createAccount(gw, email, PASSWORD);
    const old = await login(email, PASSWORD);
    // refreshed before the reset: a token of the old session minted later than its sign-in
    const early = await post("/refresh", {
      refreshToken: old.refreshToken,
      username: old.username,
    });
    expect(early.status).toBe(200);
    const earlyAccess = (early.body as Session).accessToken;

    expect((await post("/password/forgot", { email })).status).toBe(202);
    const code = gw.latestCode(email);
    expect(code).toMatch(/^\d{6}$/);
    handled.codes.add(code!);
    const reset = await post("/password/reset", { email, code, password: NEW_PASSWORD });
    expect(reset).toMatchObject({ status: 200, body: { status: "password_reset" } });

    expect(await me(old.accessToken)).toBe(401);
    expect(await me(earlyAccess)).toBe(401);
    expect(await idTokenAccepted(old.idToken)).toBe(false);
    // Cognito keeps honouring the old refresh token after a reset; the gateway does not.
    expect((await sessionAnswers(old)).refresh).toBe(401);

    const fresh = await login(email, NEW_PASSWORD);
    expect(await me(fresh.accessToken)).toBe(200);
    expect(await idTokenAccepted(fresh.idToken)).toBe(true);
    expect(await sessionAnswers(fresh)).toEqual({ access: 200, refresh: 200 });
    expect((await post("/login", { email, password: PASSWORD })).status).toBe(401);
    // the code is spent
    expect(
      (await post("/password/reset", { email, code, password: `${NEW_PASSWORD}x` })).status,
    ).toBe(400);
  });

  it("refuses tokens a refresh token of an old session obtains after the reset, even when Cognito still honours it", async () => {
    // Without a global sign-out (no token to sign out with, or Cognito failing), the old refresh
    // token keeps working at Cognito: only the auth_time cutoff stops what it mints.
    const signOut = jest
      .spyOn(CognitoAdapter.prototype, "signOutEverywhere")
      .mockResolvedValue(false);
    try {
      const email = uniqueEmail("reset-no-signout");
      await createAccount(gw, email, PASSWORD);
      const old = await login(email, PASSWORD);
      await post("/password/forgot", { email });
      const code = gw.latestCode(email);
      expect((await post("/password/reset", { email, code, password: NEW_PASSWORD })).status).toBe(
        200,
      );
      const minted = await refreshAtCognito(old);
      expect(minted.iat).toBeGreaterThan(minted.auth_time); // a token newer than the reset
      expect(await me(minted.accessToken)).toBe(401);
      expect(await idTokenAccepted(minted.idToken)).toBe(false);
      expect((await sessionAnswers(old)).refresh).toBe(401);
      expect(await me((await login(email, NEW_PASSWORD)).accessToken)).toBe(200);
    } finally {
      signOut.mockRestore();
    }
  });

  it("answers reset the same 400 invalid_code for a wrong code, an unknown address and no pending reset", async () => {
    const waiting = uniqueEmail("reset-wrong");
    await createAccount(gw, waiting, PASSWORD);
    await post("/password/forgot", { email: waiting });
    const idle = uniqueEmail("reset-idle");
    await createAccount(gw, idle, PASSWORD);
    const wrong = gw.latestCode(waiting) === "000000" ? "111111" : "000000";
    const answers = [
      await post("/password/reset", { email: waiting, code: wrong, password: NEW_PASSWORD }),
      await post("/password/reset", {
        email: uniqueEmail("ghost"),
        code: wrong,
        password: NEW_PASSWORD,
      }),
      await post("/password/reset", { email: idle, code: wrong, password: NEW_PASSWORD }),
    ];
    for (const a of answers) expect(a).toMatchObject({ status: 400, body: answers[0]!.body });
    expect(answers[0]!.body).toMatchObject({ error: { code: "invalid_code" } });
    // a sign-up code is not a reset code
    const pending = uniqueEmail("reset-signup-code");
    await createAccount(gw, pending, PASSWORD, false);
    const signUpCode = gw.latestCode(pending);
    const viaSignUp = await post("/password/reset", {
      email: pending,
      code: signUpCode,
      password: NEW_PASSWORD,
    });
    expect(viaSignUp).toMatchObject({ status: 400, body: answers[0]!.body });
  });

  it("serves the reset code on /_local/confirmation-code", async () => {
    const email = uniqueEmail("reset-endpoint");
    await createAccount(gw, email, PASSWORD);
    await post("/password/forgot", { email });
    const latest = await send(
      `${gw.url}/_local/confirmation-code?email=${encodeURIComponent(email)}`,
    );
    expect(latest).toMatchObject({ status: 200, body: { code: gw.latestCode(email) } });
  });
});

describe("change password", () => {
  it("ends every earlier session, the caller's too, and answers a fresh session", async () => {
    const email = uniqueEmail("change");
    await createAccount(gw, email, PASSWORD);
    const other = await login(email, PASSWORD);
    const caller = await login(email, PASSWORD);
    const wrong = await post(
      "/password/change",
      { currentPassword: `${PASSWORD}x`, newPassword: NEW_PASSWORD },
      caller.accessToken,
    );
    expect(wrong).toMatchObject({ status: 401, body: { error: { code: "invalid_credentials" } } });
    expect(await me(caller.accessToken)).toBe(200); // a wrong password ends nothing

    const changed = await post(
      "/password/change",
      { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
      caller.accessToken,
    );
    expect(changed.status).toBe(200);
    const fresh = changed.body as Session;
    expect(await me(fresh.accessToken)).toBe(200);
    for (const old of [other, caller]) {
      expect(await sessionAnswers(old)).toEqual({ access: 401, refresh: 401 });
      expect(await idTokenAccepted(old.idToken)).toBe(false);
    }
    expect(await sessionAnswers(fresh)).toEqual({ access: 200, refresh: 200 });
    expect((await login(email, NEW_PASSWORD)).accessToken).toEqual(expect.any(String));
  });
});

describe("delete account", () => {
  it("refuses a wrong password and deletes nothing; with the right one every token is refused and the address can register again", async () => {
    const email = uniqueEmail("delete");
    await createAccount(gw, email, PASSWORD);
    const other = await login(email, PASSWORD);
    const caller = await login(email, PASSWORD);
    const wrong = await post("/account/delete", { password: `${PASSWORD}x` }, caller.accessToken);
    expect(wrong).toMatchObject({ status: 401, body: { error: { code: "invalid_credentials" } } });
    expect(await me(caller.accessToken)).toBe(200);

    const deleted = await post("/account/delete", { password: PASSWORD }, caller.accessToken);
    expect(deleted.status).toBe(204);
    for (const old of [other, caller]) {
      expect(await sessionAnswers(old)).toEqual({ access: 401, refresh: 401 });
      expect(await idTokenAccepted(old.idToken)).toBe(false);
    }
    expect((await post("/login", { email, password: PASSWORD })).status).toBe(401);

    await createAccount(gw, email, NEW_PASSWORD);
    const again = await login(email, NEW_PASSWORD);
    expect(again.username).not.toBe(caller.username);
    expect(await me(again.accessToken)).toBe(200);
  });
});

describe("logs", () => {
  it("hold no password or token of these flows, and each reset code only in the emulator's line", () => {
    const lines = gw.logs().split("\n");
    const { clientSecret } = gw.running.local!;
    for (const secret of [PASSWORD, NEW_PASSWORD, clientSecret, ...handled.tokens]) {
      expect(lines.filter((line) => line.includes(secret))).toEqual([]);
    }
    expect(handled.codes.size).toBeGreaterThan(0);
    for (const code of handled.codes) {
      const standalone = new RegExp(`(?<![0-9A-Za-z])${code}(?![0-9A-Za-z])`);
      const withCode = lines.filter((line) => standalone.test(line));
      expect(withCode.length).toBeGreaterThan(0);
      for (const line of withCode)
        expect(line).toMatch(/LOCAL MODE (password reset|confirmation) code/);
    }
  });
});
