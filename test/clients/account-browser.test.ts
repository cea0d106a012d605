/**
 * The account page's signed-in account management over cookie sessions, in Chromium against a
 * full local-mode gateway: "Change password" keeps the person signed in with fresh cookies while
 * the session from before the change is refused; "Delete account" clears the cookies and every
 * earlier cookie is refused. Then sign-up and confirmation: the page sends the sign-up password
 * with the code, so a stranger who re-registered the address in between cannot keep it.
 * Replayed cookies are sent over HTTP exactly as a browser that kept them would send them.
 */
import type { BrowserContext } from "playwright-core";
import { send } from "../../tools/lib/http";
import {
  button,
  eventually,
  logInOnPage,
  press,
  region,
  shot,
  signedInPage,
  useChromium,
  watch,
} from "../helpers/browser";
import { useTestGateway } from "../helpers/gateway";

const PASSWORD = "Account-Pw1!";
const CHANGED = "Account-Changed2?";
const STRANGER = "Stranger-Pw3#";

const gateway = useTestGateway();
const browser = useChromium();

/** The Cookie header a browser holding these cookies sends to the refresh path (all of them). */
async function cookieHeader(context: BrowserContext): Promise<string> {
  const cookies = await context.cookies();
  return cookies.map((c) => `${c.name}=${c.value}`).join("; ");
}

/** What GET /auth/session and POST /auth/session/refresh answer to these cookies. */
async function replay(cookie: string): Promise<{ session: number; refresh: number }> {
  const session = await send(`${gateway.url}/auth/session`, { headers: { cookie } });
  const refresh = await send(`${gateway.url}/auth/session/refresh`, {
    method: "POST",
    headers: { cookie, "x-csrf": "1" },
  });
  return { session: session.status, refresh: refresh.status };
}

test("change password and delete account while signed in with cookies", async () => {
  const email = `account-cookies+${Date.now()}@example.com`;
  const { context, page, seen } = await signedInPage(browser, gateway.url, email, PASSWORD);
  const beforeChange = await cookieHeader(context);
  expect(beforeChange).toMatch(/cg-session=.+; .*cg-refresh=|cg-refresh=.+; .*cg-session=/);

  // Change password: the answer carries no token, only fresh cookies; the page stays signed in.
  const bodies: string[] = [];
  page.on("response", (response) => {
    if (new URL(response.url()).pathname === "/auth/password/change") {
      void response.text().then((text) => bodies.push(text));
    }
  });
  const change = region(page, "Change password");
  await change.getByLabel("Current password", { exact: true }).fill(PASSWORD);
  await change.getByLabel("New password", { exact: true }).fill(CHANGED);
  expect(await press(page, button(page, "Change password", "Change password"), "/change")).toBe(
    200,
  );
  await expect(change.getByRole("status").textContent()).resolves.toMatch(
    /^Your password is changed\./,
  );
  await expect(region(page, "You are signed in").isVisible()).resolves.toBe(true);
  await expect(page.locator("#claim-email").textContent()).resolves.toBe(email);
  await eventually(() => bodies[0], "the password change answer");
  expect(JSON.parse(bodies[0]!)).toEqual({
    username: expect.any(String),
    expiresIn: expect.any(Number),
    user: { sub: expect.any(String), email, groups: [] },
  });
  expect(bodies[0]).not.toMatch(/eyJ[A-Za-z0-9_-]+\./);
  const afterChange = await cookieHeader(context);
  expect(afterChange).not.toBe(beforeChange);
  expect(await replay(beforeChange)).toEqual({ session: 401, refresh: 401 });
  expect((await replay(afterChange)).session).toBe(200);
  await page.reload(); // the fresh cookies carry the session across a reload
  await region(page, "You are signed in").waitFor({ state: "visible" });
  await expect(page.locator("#claim-email").textContent()).resolves.toBe(email);
  await shot(page, "account-01-password-changed");
  const login = (password: string) =>
    send(`${gateway.url}/auth/login`, { json: { email, password } });
  expect((await login(PASSWORD)).status).toBe(401);

  // Delete account: the cookies are cleared and the ones from before are refused.
  const beforeDelete = await cookieHeader(context);
  await button(page, "Delete account", "Delete account").click();
  await region(page, "Delete account")
    .getByLabel("Current password", { exact: true })
    .fill(CHANGED);
  const confirm = button(page, "Delete account", "Yes, delete my account");
  expect(await press(page, confirm, "/account/delete")).toBe(204);
  await expect(region(page, "Log in").getByRole("status").textContent()).resolves.toBe(
    "Your account is deleted.",
  );
  expect(await context.cookies()).toEqual([]);
  expect(await replay(beforeDelete)).toEqual({ session: 401, refresh: 401 });
  await page.reload();
  await region(page, "Log in").waitFor({ state: "visible" });
  await expect(region(page, "You are signed in").isHidden()).resolves.toBe(true);
  expect((await login(CHANGED)).status).toBe(401);
  await shot(page, "account-02-deleted");

  expect(seen).toEqual({ problems: [], violations: [] });
  await context.close();
}, 120_000);

test("confirming carries the sign-up password: a stranger's re-registration does not stick", async () => {
  const email = `account-confirm+${Date.now()}@example.com`;
  const context = await browser.newContext();
  const page = await context.newPage();
  const seen = await watch(page, gateway.url);
  await page.goto(`${gateway.url}/`);

  const signUp = region(page, "Sign up");
  await signUp.getByLabel("Email", { exact: true }).fill(email);
  await signUp.getByLabel("Password", { exact: true }).fill(PASSWORD);
  expect(await press(page, button(page, "Sign up", "Sign up"), "/register")).toBe(202);
  // Meanwhile a stranger registers the same address with a password of their own.
  const stranger = await send(`${gateway.url}/auth/register`, {
    json: { email, password: STRANGER },
  });
  expect(stranger.status).toBe(202);

  const confirm = region(page, "Confirm your account");
  const code = await eventually(() => gateway.latestCode(email), `a code for ${email}`);
  await confirm.getByLabel("Confirmation code", { exact: true }).fill(code);
  const [request] = await Promise.all([
    page.waitForRequest((r) => new URL(r.url()).pathname === "/auth/confirm"),
    press(page, button(page, "Confirm your account", "Confirm"), "/confirm"),
  ]);
  expect(request.postDataJSON()).toEqual({ email, code, password: PASSWORD });
  await expect(confirm.getByRole("status").textContent()).resolves.toBe(
    "Your account is confirmed. You can log in now.",
  );

  const strangerLogin = await send(`${gateway.url}/auth/login`, {
    json: { email, password: STRANGER },
  });
  expect(strangerLogin.status).toBe(401);
  await logInOnPage(page, email, PASSWORD); // at once: the confirmation's cutoff is behind it
  await expect(page.locator("#claim-email").textContent()).resolves.toBe(email);
  await shot(page, "account-03-confirmed-with-own-password");

  expect(seen).toEqual({ problems: [], violations: [] });
  await context.close();
}, 90_000);
