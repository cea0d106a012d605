/**
 * Two-step sign-in through the account page in Chromium, against a local-mode gateway with
 * LOCAL_MFA=optional: enrol an authenticator app from the signed-in page (QR code drawn in the
 * page), sign in again answering SOFTWARE_TOKEN_MFA with a code the test computes from the
 * secret, turn it off; and an invited user's forced new password. No console errors, no CSP
 * violations.
 */
import type { Page } from "playwright-core";
import { button, press, shot, useChromium, watch } from "../helpers/browser";
import { useTestGateway } from "../helpers/gateway";
import { LOCAL_PASSWORD, confirmedAccount, totpCode, uniqueEmail } from "../helpers/local";

describe("two-step sign-in on the account page in Chromium", () => {
  const gateway = useTestGateway({ LOCAL_MFA: "optional" });
  const browser = useChromium();

  async function logIn(page: Page, email: string, password: string) {
    const login = page.getByRole("region", { name: "Log in", exact: true });
    await login.getByLabel("Email").fill(email);
    await login.getByLabel("Password").fill(password);
    return press(page, login.getByRole("button", { name: "Log in" }), "/auth/session/login");
  }

  /** Presses "Continue" in the "Finish signing in" step; answers the status of its call. */
  const answerChallenge = (page: Page) =>
    press(page, button(page, "Finish signing in", "Continue"), "/auth/session/login/challenge");

  test("enrol an authenticator app, sign in with its code, turn it off", async () => {
    const { url } = gateway;
    const page = await (await browser.newContext()).newPage();
    const seen = await watch(page, url);
    const email = uniqueEmail("browser-mfa");
    await confirmedAccount(gateway, email);
    await page.goto(`${url}/`);
    expect(await logIn(page, email, LOCAL_PASSWORD)).toBe(200);
    const account = page.getByRole("region", { name: "You are signed in" });
    await account.getByRole("button", { name: "Set up authenticator app" }).click();
    await account.getByRole("img", { name: "QR code for your authenticator app" }).waitFor();
    const keyText = await account.getByText(/^Or type this key: /).textContent();
    const secret = (keyText ?? "").replace("Or type this key: ", "").trim();
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
    await shot(page, "mfa-01-enrol");
    await account.getByLabel("Code from the app").fill(totpCode(secret));
    expect(
      await press(page, account.getByRole("button", { name: "Turn on" }), "/auth/mfa/totp/verify"),
    ).toBe(204);
    await account.getByText(/Two-step sign-in is on/).waitFor();

    await press(page, account.getByRole("button", { name: "Log out" }), "/auth/session/logout");
    expect(await logIn(page, email, LOCAL_PASSWORD)).toBe(200);
    const challenge = page.getByRole("region", { name: "Finish signing in" });
    await challenge.getByText(/authenticator app/).waitFor();
    await shot(page, "mfa-02-challenge");
    await challenge.getByLabel("Code").fill(totpCode(secret));
    expect(await answerChallenge(page)).toBe(200);
    await account.waitFor();

    await account.getByLabel("Password (to turn it off)").fill(LOCAL_PASSWORD);
    expect(
      await press(
        page,
        account.getByRole("button", { name: "Turn off two-step sign-in" }),
        "/auth/mfa/disable",
      ),
    ).toBe(204);
    await account.getByText("Two-step sign-in is off.").waitFor();
    expect(seen).toEqual({ problems: [], violations: [] });
  }, 60_000);

  test("an invited user chooses a new password at first sign-in", async () => {
    const { url } = gateway;
    const page = await (await browser.newContext()).newPage();
    const seen = await watch(page, url);
    const email = uniqueEmail("browser-invited");
    const invite = await fetch(`${url}/_local/invite`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email }),
    });
    const { temporaryPassword } = (await invite.json()) as { temporaryPassword: string };
    await page.goto(`${url}/`);
    expect(await logIn(page, email, temporaryPassword)).toBe(200);
    const challenge = page.getByRole("region", { name: "Finish signing in" });
    await challenge.getByLabel("New password").fill("weak");
    expect(await answerChallenge(page)).toBe(400);
    await challenge.getByLabel("New password").fill("Br4nd-new-Pw!");
    expect(await answerChallenge(page)).toBe(200);
    await shot(page, "mfa-03-new-password-done");
    const account = page.getByRole("region", { name: "You are signed in" });
    await account.waitFor();
    expect(seen).toEqual({ problems: [], violations: [] });
  }, 60_000);
});
