/**
 * The browser-session lifecycle over real HTTP against the embedded emulator (local mode: no
 * configuration, plain-http loopback cookies, a generated sealing secret): register → confirm →
 * session login → session → refresh → logout, then the old cookies are refused everywhere.
 */
import { createAccount } from "../../tools/lib/gateways";
import { useTestGateway } from "../helpers/gateway";
import { CookieJar } from "../helpers/session";

const PASSWORD = "Sup3r-secret!";
const gw = useTestGateway();

/** A request the way the account page sends it: JSON, X-CSRF, and the jar's cookies. */
async function call(jar: CookieJar, path: string, body?: object) {
  const res = await fetch(gw.url + path, {
    method: body === undefined ? "GET" : "POST",
    headers: {
      ...(body === undefined ? {} : { "content-type": "application/json", "x-csrf": "1" }),
      cookie: jar.header(path),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  jar.take(res);
  const text = await res.text();
  return {
    status: res.status,
    text,
    json: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

describe("browser-session lifecycle against the embedded emulator", () => {
  it("signs in with cookies only, refreshes, logs out, and refuses the old cookies", async () => {
    const email = `session.${Date.now()}@example.com`;
    await createAccount({ url: gw.url, auth: `${gw.url}/auth` }, email, PASSWORD);
    const jar = new CookieJar();

    const wrong = await call(jar, "/auth/session/login", { email, password: "Wrong-pass1!" });
    expect(wrong.status).toBe(401);
    expect(jar.names()).toEqual([]);

    const login = await call(jar, "/auth/session/login", { email, password: PASSWORD });
    expect(login.status).toBe(200);
    expect(login.json).toEqual({
      username: expect.any(String),
      expiresIn: expect.any(Number),
      user: { sub: expect.any(String), email, groups: [] },
    });
    expect(login.text).not.toMatch(/eyJ/); // no JWT anywhere in the body
    expect(jar.names()).toEqual(["cg-refresh", "cg-session"]);
    expect(jar.header("/auth/me")).not.toContain("cg-refresh"); // scoped to the refresh path
    const before = jar.copy();

    const info = await call(jar, "/auth/session");
    expect(info.status).toBe(200);
    expect(info.json).toMatchObject({ user: { email }, expiresIn: expect.any(Number) });

    const refreshed = await call(jar, "/auth/session/refresh", {});
    expect(refreshed.status).toBe(200);
    expect(Object.keys(refreshed.json)).toEqual(["expiresIn"]);
    expect((await call(jar, "/auth/session")).status).toBe(200);

    const logout = await call(jar, "/auth/session/logout", {});
    expect(logout.status).toBe(204);
    expect(jar.names()).toEqual([]);

    // Replayed from a copy taken before logout: refused at every session route.
    expect((await call(before.copy(), "/auth/session")).status).toBe(401);
    const replayRefresh = await call(before.copy(), "/auth/session/refresh", {});
    expect(replayRefresh.status).toBe(401);

    // A new sign-in works again.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const again = await call(jar, "/auth/session/login", { email, password: PASSWORD });
    expect(again.status).toBe(200);
    expect((await call(jar, "/auth/session")).status).toBe(200);
  }, 30_000);
});
