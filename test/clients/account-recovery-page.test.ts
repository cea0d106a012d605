/**
 * Account recovery and management through the account page in Chromium, against a full
 * local-mode gateway: "Forgot password?" (send a reset code, set a new password with it), then
 * signed in "Change password" and "Delete account" (with its confirmation step) — by labels and
 * roles only, with no console error, page error or CSP violation. Each step ends earlier sessions:
 * the tokens of a sign-in made beforehand are checked over HTTP.
 */
import { createAccount } from "../../tools/lib/gateways";
import { send } from "../../tools/lib/http";
import { button, eventually, press, region, shot, useChromium, watch } from "../helpers/browser";
import { useTestGateway } from "../helpers/gateway";

const PASSWORD = "Browser-Pw1!";
const RESET_PASSWORD = "Browser-Reset2?";
const CHANGED_PASSWORD = "Browser-Changed3#";

const gateway = useTestGateway();
const browser = useChromium();

/** Signs in over HTTP: a session on "another device", which each step must end. */
async function otherDevice(email: string, password: string): Promise<string> {
  const login = await send(`${gateway.url}/auth/login`, { json: { email, password } });
  expect(login.status).toBe(200);
  return (login.body as { accessToken: string }).accessToken;
}

async function meStatus(token: string): Promise<number> {
  const me = await send(`${gateway.url}/auth/me`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return me.status;
}

test("forgot password, change password and delete account through the page", async () => {
  const { url } = gateway;
  const email = `recovery-page+${Date.now()}@example.com`;
  await createAccount(gateway, email, PASSWORD);
  const beforeReset = await otherDevice(email, PASSWORD);

  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const seen = await watch(page, url);
  await page.goto(`${url}/`);

  // Forgot password? → send a reset code → set a new password with it.
  const logIn = region(page, "Log in");
  await logIn.getByLabel("Email", { exact: true }).fill(email);
  await expect(region(page, "Reset your password").isHidden()).resolves.toBe(true);
  await logIn.getByRole("button", { name: "Forgot password?", exact: true }).click();
  const recover = region(page, "Reset your password");
  await recover.waitFor({ state: "visible" });
  await expect(recover.getByLabel("Email", { exact: true }).inputValue()).resolves.toBe(email);
  expect(await press(page, button(page, "Reset your password", "Send reset code"), "/forgot")).toBe(
    202,
  );
  await expect(recover.locator("#forgot-status").textContent()).resolves.toMatch(
    /reset code is on its way/,
  );
  const code = await eventually(() => gateway.latestCode(email), `a reset code for ${email}`);
  await recover.getByLabel("Reset code", { exact: true }).fill(code === "000000" ? "1" : "0");
  await recover.getByLabel("New password", { exact: true }).fill(RESET_PASSWORD);
  const resetButton = button(page, "Reset your password", "Reset password");
  expect(await press(page, resetButton, "/password/reset")).toBe(400);
  await expect(recover.locator("#reset-error").textContent()).resolves.toMatch(
    /^That code is not valid\..*Send reset code/,
  );
  await recover.getByLabel("Reset code", { exact: true }).fill(code);
  await recover.getByLabel("New password", { exact: true }).fill(RESET_PASSWORD);
  expect(await press(page, resetButton, "/password/reset")).toBe(200);
  await expect(recover.locator("#reset-status").textContent()).resolves.toBe(
    "Your password is reset. Log in with the new password.",
  );
  await shot(page, "recovery-01-password-reset");
  expect(await meStatus(beforeReset)).toBe(401);

  // Log in with the new password.
  await expect(logIn.getByLabel("Email", { exact: true }).inputValue()).resolves.toBe(email);
  await logIn.getByLabel("Password", { exact: true }).fill(RESET_PASSWORD);
  await logIn.getByRole("button", { name: "Log in", exact: true }).click();
  const account = region(page, "You are signed in");
  await account.waitFor({ state: "visible" });
  const beforeChange = await otherDevice(email, RESET_PASSWORD);

  // Change password: a wrong current password first, then the right one.
  const change = region(page, "Change password");
  await change.getByLabel("Current password", { exact: true }).fill("Not-the-Pw9!");
  await change.getByLabel("New password", { exact: true }).fill(CHANGED_PASSWORD);
  const changeButton = button(page, "Change password", "Change password");
  expect(await press(page, changeButton, "/password/change")).toBe(401);
  await expect(change.getByRole("alert").textContent()).resolves.toBe(
    "The current password is not correct.",
  );
  await change.getByLabel("Current password", { exact: true }).fill(RESET_PASSWORD);
  await change.getByLabel("New password", { exact: true }).fill(CHANGED_PASSWORD);
  expect(await press(page, changeButton, "/password/change")).toBe(200);
  await expect(change.getByRole("status").textContent()).resolves.toMatch(
    /^Your password is changed\./,
  );
  await expect(account.isVisible()).resolves.toBe(true); // a fresh session, still signed in
  await expect(page.locator("#claim-email").textContent()).resolves.toBe(email);
  await shot(page, "recovery-02-password-changed");
  expect(await meStatus(beforeChange)).toBe(401);

  // Delete account: nothing happens before the explicit confirmation.
  const remove = region(page, "Delete account");
  const confirmPassword = remove.getByLabel("Current password", { exact: true });
  await expect(confirmPassword.isHidden()).resolves.toBe(true);
  await button(page, "Delete account", "Delete account").click();
  await expect(confirmPassword.isVisible()).resolves.toBe(true);
  await button(page, "Delete account", "Cancel").click();
  await expect(confirmPassword.isHidden()).resolves.toBe(true);
  await button(page, "Delete account", "Delete account").click();
  await confirmPassword.fill(RESET_PASSWORD);
  const confirmButton = button(page, "Delete account", "Yes, delete my account");
  expect(await press(page, confirmButton, "/account/delete")).toBe(401);
  await expect(remove.getByRole("alert").textContent()).resolves.toBe(
    "The password is not correct.",
  );
  await shot(page, "recovery-03-delete-confirmation");
  const beforeDelete = await otherDevice(email, CHANGED_PASSWORD);
  await confirmPassword.fill(CHANGED_PASSWORD);
  expect(await press(page, confirmButton, "/account/delete")).toBe(204);
  await expect(logIn.getByRole("status").textContent()).resolves.toBe("Your account is deleted.");
  await expect(account.isHidden()).resolves.toBe(true);
  await shot(page, "recovery-04-deleted");
  expect(await meStatus(beforeDelete)).toBe(401);
  const again = await send(`${url}/auth/login`, { json: { email, password: CHANGED_PASSWORD } });
  expect(again.status).toBe(401);

  expect(seen).toEqual({ problems: [], violations: [] });
  await context.close();
}, 120_000);
