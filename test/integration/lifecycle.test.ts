/**
 * The whole lifecycle over real HTTP against the embedded emulator, with the real AWS SDK:
 * register → code → confirm → login → /me → refresh → logout → everything from that session
 * refused.
 */
import { useTestGateway } from "../helpers/gateway";
import { clientOf, uniqueEmail } from "../helpers/local";

const PASSWORD = "Sup3r-secret!";
const gw = useTestGateway();

/** POSTs (with a body) or GETs (without) a path, with an optional bearer token. */
const call = clientOf(gw);

async function registerAndConfirm(email: string) {
  expect((await call("/auth/register", { email, password: PASSWORD })).status).toBe(202);
  const code = gw.latestCode(email);
  expect(code).toMatch(/^\d{6}$/);
  expect(await call("/auth/confirm", { email, code })).toMatchObject({
    status: 200,
    json: { status: "confirmed" },
  });
}

describe("lifecycle against the embedded emulator", () => {
  it("runs register → confirm → login → me → refresh → logout, then refuses that session", async () => {
    const email = uniqueEmail("life");
    await registerAndConfirm(email);
    const login = await call("/auth/login", { email: email.toUpperCase(), password: PASSWORD });
    expect(login.status).toBe(200);
    expect(login.json).toEqual({
      accessToken: expect.any(String),
      idToken: expect.any(String),
      refreshToken: expect.any(String),
      expiresIn: expect.any(Number),
      tokenType: "Bearer",
      username: expect.any(String),
    });
    const { accessToken, refreshToken, username } = login.json as Record<string, string>;
    const me = await call("/auth/me", undefined, accessToken);
    expect(me.status).toBe(200);
    expect(me.json).toMatchObject({ sub: username, username });

    const refreshed = await call("/auth/refresh", { refreshToken, username });
    expect(refreshed.status).toBe(200);
    const newAccess = (refreshed.json as Record<string, string>).accessToken!;
    expect((await call("/auth/me", undefined, newAccess)).status).toBe(200);

    const logout = await call("/auth/logout", { refreshToken }, accessToken);
    expect(logout.status).toBe(204);
    for (const token of [accessToken, newAccess]) {
      const after = await call("/auth/me", undefined, token);
      expect(after.status).toBe(401);
      expect(after.headers["www-authenticate"]).toBe('Bearer error="invalid_token"');
    }
    const again = await call("/auth/refresh", { refreshToken, username });
    expect(again.status).toBe(401);
    expect(again.json).toMatchObject({ error: { code: "invalid_token" } });

    // Signing in again after logout works.
    const relogin = await call("/auth/login", { email, password: PASSWORD });
    expect(relogin.status).toBe(200);
    const fresh = (relogin.json as Record<string, string>).accessToken!;
    expect((await call("/auth/me", undefined, fresh)).status).toBe(200);
  });

  it("answers register identically for new, unconfirmed and confirmed addresses", async () => {
    const confirmed = uniqueEmail("confirmed");
    await registerAndConfirm(confirmed);
    const unconfirmed = uniqueEmail("unconfirmed");
    const first = await call("/auth/register", { email: unconfirmed, password: PASSWORD });
    const firstCode = gw.latestCode(unconfirmed);
    const answers = [
      first,
      await call("/auth/register", { email: unconfirmed, password: PASSWORD }),
      await call("/auth/register", { email: confirmed, password: PASSWORD }),
      await call("/auth/register", { email: uniqueEmail("new"), password: PASSWORD }),
    ];
    for (const a of answers)
      expect({ status: a.status, text: a.text }).toEqual({
        status: first.status,
        text: first.text,
      });
    // the unconfirmed address got a fresh code, and it works
    const secondCode = gw.latestCode(unconfirmed);
    expect(secondCode).toMatch(/^\d{6}$/);
    expect(secondCode === firstCode || secondCode !== undefined).toBe(true);
    expect((await call("/auth/confirm", { email: unconfirmed, code: secondCode })).status).toBe(
      200,
    );
  });

  it("answers login identically for unknown address, wrong password and unconfirmed account", async () => {
    const confirmed = uniqueEmail("login");
    await registerAndConfirm(confirmed);
    const unconfirmed = uniqueEmail("pending");
    await call("/auth/register", { email: unconfirmed, password: PASSWORD });
    const answers = [
      await call("/auth/login", { email: uniqueEmail("nobody"), password: PASSWORD }),
      await call("/auth/login", { email: confirmed, password: `${PASSWORD}x` }),
      await call("/auth/login", { email: unconfirmed, password: PASSWORD }),
    ];
    for (const a of answers) {
      expect(a.status).toBe(401);
      expect(a.text).toBe(answers[0]!.text);
    }
    expect(answers[0]!.json).toMatchObject({ error: { code: "invalid_credentials" } });
  });

  it("answers confirm identically for wrong code, unknown address and already confirmed", async () => {
    const confirmed = uniqueEmail("done");
    await registerAndConfirm(confirmed);
    const pending = uniqueEmail("wrongcode");
    await call("/auth/register", { email: pending, password: PASSWORD });
    const wrong = gw.latestCode(pending) === "000000" ? "111111" : "000000";
    const answers = [
      await call("/auth/confirm", { email: pending, code: wrong }),
      await call("/auth/confirm", { email: uniqueEmail("ghost"), code: "123456" }),
      await call("/auth/confirm", { email: confirmed, code: "123456" }),
    ];
    for (const a of answers) {
      expect(a.status).toBe(400);
      expect(a.text).toBe(answers[0]!.text);
    }
    expect(answers[0]!.json).toMatchObject({ error: { code: "invalid_code" } });
  });

  it("answers resend with 202 for any address, and a re-sent code confirms", async () => {
    const pending = uniqueEmail("resend");
    await call("/auth/register", { email: pending, password: PASSWORD });
    const a = await call("/auth/confirm/resend", { email: pending });
    const b = await call("/auth/confirm/resend", { email: uniqueEmail("nobody") });
    expect(a.status).toBe(202);
    expect(b).toMatchObject({ status: 202, text: a.text });
    expect(
      (await call("/auth/confirm", { email: pending, code: gw.latestCode(pending) })).status,
    ).toBe(200);
  });

  it("serves health and readiness", async () => {
    expect(await call("/healthz")).toMatchObject({ status: 200, json: { status: "ok" } });
    expect((await call("/readyz")).status).toBe(200);
  });
});
