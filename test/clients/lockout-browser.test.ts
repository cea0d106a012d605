/**
 * Finding 2 of issue #9 in a real Chromium against a full local-mode gateway with rate limits on:
 * the account page's sign-in leaves an HttpOnly, SameSite=Strict device cookie that no script can
 * read; a stranger's wrong passwords then throttle every new browser, while the browser that
 * signed in before still gets in (the back-off itself is replayed in test/hardening/lockout).
 */
import type { Page } from "playwright-core";
import { createAccount } from "../../tools/lib/gateways";
import { send } from "../../tools/lib/http";
import { logInOnPage, useChromium } from "../helpers/browser";
import { useTestGateway } from "../helpers/gateway";

const PASSWORD = "Device-Pw1!";

// Every client here is on loopback, so the stranger and the new browser share one IP: its
// per-client allowance (4 login requests) is what the stranger spends, deterministically.
const gateway = useTestGateway({ RATE_LIMIT: "on", RATE_LIMIT_ACCOUNT_MAX: "4" });
const browser = useChromium();

/** A session sign-in from the page's own origin (cookies go along); answers the status. */
function sessionLogin(page: Page, email: string, password: string): Promise<number> {
  return page.evaluate(
    async ([e, p]) => {
      const res = await fetch("/auth/session/login", {
        method: "POST",
        headers: { "content-type": "application/json", "x-csrf": "1" },
        body: JSON.stringify({ email: e, password: p }),
      });
      return res.status;
    },
    [email, password] as const,
  );
}

test("the browser that signed in before gets in during an attack; a new one waits", async () => {
  const email = `device.${Date.now()}@example.com`;
  await createAccount(gateway, email, PASSWORD);

  const known = await browser.newContext();
  const page = await known.newPage();
  await page.goto(`${gateway.url}/`);
  await logInOnPage(page, email, PASSWORD);

  const device = (await known.cookies()).find((c) => c.name === "cg-device");
  expect(device).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/" });
  expect(await page.evaluate(() => document.cookie)).not.toContain("cg-device");

  // The stranger, with wrong passwords, spends the allowance (the sign-in above was one).
  const statuses: number[] = [];
  for (let i = 0; i < 4; i++) {
    const wrong = await send(`${gateway.url}/auth/login`, {
      json: { email, password: "Wr0ng-password!" },
    });
    statuses.push(wrong.status);
  }
  expect(statuses).toEqual([401, 401, 401, 429]);

  const fresh = await browser.newContext();
  const freshPage = await fresh.newPage();
  await freshPage.goto(`${gateway.url}/`);
  expect(await sessionLogin(freshPage, email, PASSWORD)).toBe(429);
  expect(await sessionLogin(page, email, PASSWORD)).toBe(200);
  await Promise.all([known.close(), fresh.close()]);
}, 60_000);
