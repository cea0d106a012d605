/**
 * The account page (public/) driven end to end in a real Chromium against a full local-mode
 * gateway: sign up, confirm, log in, refresh, log out — by labels and roles only, the way a person
 * (or a screen reader) finds things. The page runs under the gateway's real CSP; any console
 * error, page error or CSP violation fails the test. Screenshots of each step go to
 * artifacts/screenshots/ (git-ignored).
 */
import { eventually, press, shot, useChromium, watch } from "../helpers/browser";
import { useTestGateway } from "../helpers/gateway";

const PASSWORD = "Browser-Pw1!";
const WRONG_CREDENTIALS = "The email or password is not correct.";

describe("account page in Chromium", () => {
  const gateway = useTestGateway();
  const browser = useChromium();

  test("the whole lifecycle through the page, with no console errors or CSP violations", async () => {
    const { url } = gateway;
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const seen = await watch(page, url);
    const email = `browser+${Date.now()}@example.com`;

    const answer = await page.goto(`${url}/`);
    expect(answer?.status()).toBe(200);
    const csp = answer?.headers()["content-security-policy"] ?? "";
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    await expect(page.title()).resolves.toBe("Your account");
    await shot(page, "01-start");

    // Sign up.
    const signUp = page.getByRole("region", { name: "Sign up", exact: true });
    await signUp.getByLabel("Email", { exact: true }).fill(email);
    await signUp.getByLabel("Password", { exact: true }).fill(PASSWORD);
    expect(
      await press(page, signUp.getByRole("button", { name: "Sign up", exact: true }), "/register"),
    ).toBe(202);
    await expect(signUp.getByRole("status").textContent()).resolves.toBe(
      "Check your email for a confirmation code.",
    );
    await shot(page, "02-signed-up");

    // Confirm, with the code the emulator "emailed".
    const confirm = page.getByRole("region", { name: "Confirm your account", exact: true });
    await expect(confirm.getByLabel("Email", { exact: true }).inputValue()).resolves.toBe(email);
    const code = await eventually(() => gateway.latestCode(email), `a code for ${email}`);
    await confirm.getByLabel("Confirmation code", { exact: true }).fill(code);
    expect(
      await press(page, confirm.getByRole("button", { name: "Confirm", exact: true }), "/confirm"),
    ).toBe(200);
    await expect(confirm.getByRole("status").textContent()).resolves.toBe(
      "Your account is confirmed. You can log in now.",
    );
    await shot(page, "03-confirmed");

    // A wrong password and an unknown address read exactly the same.
    const logIn = page.getByRole("region", { name: "Log in", exact: true });
    const logInButton = logIn.getByRole("button", { name: "Log in", exact: true });
    await expect(logIn.getByLabel("Email", { exact: true }).inputValue()).resolves.toBe(email);
    await logIn.getByLabel("Password", { exact: true }).fill("Wrong-Pw1!");
    expect(await press(page, logInButton, "/session/login")).toBe(401);
    const wrongPassword = await logIn.getByRole("alert").textContent();
    await shot(page, "04-wrong-password");

    await logIn.getByLabel("Email", { exact: true }).fill(`nobody+${Date.now()}@example.com`);
    await logIn.getByLabel("Password", { exact: true }).fill(PASSWORD);
    expect(await press(page, logInButton, "/session/login")).toBe(401);
    const unknownAddress = await logIn.getByRole("alert").textContent();
    expect(wrongPassword).toBe(WRONG_CREDENTIALS);
    expect(unknownAddress).toBe(wrongPassword);

    // Log in: the signed-in view shows the verified claims.
    await logIn.getByLabel("Email", { exact: true }).fill(email);
    await logIn.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await logInButton.click();
    const account = page.getByRole("region", { name: "You are signed in", exact: true });
    await account.waitFor({ state: "visible" });
    await expect(account.getByRole("status").textContent()).resolves.toBe("You are logged in.");
    await expect(page.locator("#claim-email").textContent()).resolves.toBe(email);
    await expect(page.locator("#claim-sub").textContent()).resolves.toMatch(/^[0-9a-f-]{8,}$/i);
    await expect(page.locator("#claim-username").textContent()).resolves.not.toBe("");
    await expect(signUp.isHidden()).resolves.toBe(true);
    await expect(logIn.isHidden()).resolves.toBe(true);
    await shot(page, "05-signed-in");

    // Tokens stay with the gateway: only HttpOnly cookies, nothing scripts can read.
    const stored = await page.evaluate(() => [
      window.localStorage.length,
      window.sessionStorage.length,
      document.cookie,
    ]);
    expect(stored).toEqual([0, 0, ""]);
    const cookies = await context.cookies();
    expect(cookies.map((c) => [c.name, c.httpOnly])).toEqual(
      expect.arrayContaining([
        ["cg-session", true],
        ["cg-refresh", true],
      ]),
    );

    // Refresh.
    expect(
      await press(
        page,
        account.getByRole("button", { name: "Refresh", exact: true }),
        "/session/refresh",
      ),
    ).toBe(200);
    await expect(account.getByRole("status").textContent()).resolves.toBe(
      "Your session is refreshed.",
    );
    await expect(page.locator("#claim-email").textContent()).resolves.toBe(email);
    await shot(page, "06-refreshed");

    // The same view on a phone: nothing wider than the screen.
    await page.setViewportSize({ width: 375, height: 812 });
    await shot(page, "07-mobile-signed-in");
    await expect(
      page.evaluate(() => document.documentElement.scrollWidth),
    ).resolves.toBeLessThanOrEqual(375);

    // Log out: back to the forms, and the old cookies no longer open a session.
    expect(
      await press(
        page,
        account.getByRole("button", { name: "Log out", exact: true }),
        "/session/logout",
      ),
    ).toBe(204);
    await expect(logIn.getByRole("status").textContent()).resolves.toBe("You have logged out.");
    await expect(account.isHidden()).resolves.toBe(true);
    await shot(page, "08-mobile-logged-out");
    expect(await context.cookies()).toEqual([]);
    const replayed = cookies.map((c) => `${c.name}=${c.value}`).join("; ");
    const me = await fetch(`${url}/auth/me`, { headers: { cookie: replayed } });
    expect(me.status).toBe(401);

    await page.setViewportSize({ width: 1280, height: 900 });
    await shot(page, "09-logged-out");

    expect(seen).toEqual({ problems: [], violations: [] });
    await context.close();
  }, 90_000);

  test("friendly words for a wrong code, a resend, an empty form and a weak password", async () => {
    const { url } = gateway;
    const context = await browser.newContext({ viewport: { width: 375, height: 812 } });
    const page = await context.newPage();
    const seen = await watch(page, url);
    await page.goto(`${url}/`);

    const confirm = page.getByRole("region", { name: "Confirm your account", exact: true });
    await confirm.getByLabel("Email", { exact: true }).fill(`nobody+${Date.now()}@example.com`);
    await confirm.getByLabel("Confirmation code", { exact: true }).fill("123456");
    expect(
      await press(page, confirm.getByRole("button", { name: "Confirm", exact: true }), "/confirm"),
    ).toBe(400);
    await expect(confirm.getByRole("alert").textContent()).resolves.toMatch(
      /^That code is not valid\./,
    );

    // Resend answers the same for any address.
    expect(
      await press(
        page,
        confirm.getByRole("button", { name: "Resend code", exact: true }),
        "/confirm/resend",
      ),
    ).toBe(202);
    await expect(confirm.getByRole("status").textContent()).resolves.toMatch(
      /new code is on its way/,
    );

    // An empty sign-up is caught in the page, next to the form, and the field is marked.
    const signUp = page.getByRole("region", { name: "Sign up", exact: true });
    await signUp.getByRole("button", { name: "Sign up", exact: true }).click();
    await expect(signUp.getByRole("alert").textContent()).resolves.toBe(
      "Enter your email address.",
    );
    await expect(
      signUp.getByLabel("Email", { exact: true }).getAttribute("aria-invalid"),
    ).resolves.toBe("true");

    // A weak password is refused by the gateway, and its details are shown in words.
    await signUp.getByLabel("Email", { exact: true }).fill(`weak+${Date.now()}@example.com`);
    await signUp.getByLabel("Password", { exact: true }).fill("short");
    expect(
      await press(page, signUp.getByRole("button", { name: "Sign up", exact: true }), "/register"),
    ).toBe(400);
    await expect(signUp.getByRole("alert").textContent()).resolves.toMatch(
      /^Please check what you entered\. Password: .*8 characters/,
    );
    await shot(page, "10-mobile-errors");

    expect(seen).toEqual({ problems: [], violations: [] });
    await context.close();
  }, 60_000);

  test("the watcher does see CSP violations and console errors (control)", async () => {
    const { url } = gateway;
    const context = await browser.newContext();
    const page = await context.newPage();
    const seen = await watch(page, url);
    await page.goto(`${url}/`);
    await page.evaluate(() => {
      const inline = document.createElement("script");
      inline.textContent = "void 0;";
      document.head.appendChild(inline);
      console.error("deliberate");
    });
    await page.waitForTimeout(200);
    expect(seen.violations.join("\n")).toMatch(/script-src/);
    expect(seen.problems.join("\n")).toMatch(/deliberate/);
    await context.close();
  }, 30_000);
});
