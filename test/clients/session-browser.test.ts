/**
 * Browser sessions in a real Chromium against a full local-mode gateway: the account page keeps
 * no token where a script could read it, survives a reload, refreshes silently before the access
 * token expires, and a logout in one tab signs the other out on its next call. Then the CSRF
 * defence, from two other local origins serving attacker pages: `http://127.0.0.1:<other port>`
 * (same site, other origin: the cookies ARE sent, so the header and Origin checks must hold) and
 * `http://localhost:<other port>` (another site: SameSite=Strict keeps the cookies off). From
 * both, a form POST, a fetch with credentials and a fetch without the header fail; the same
 * calls from the page's own origin succeed.
 */
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { BrowserContext, Page } from "playwright-core";
import { shot, signedInPage, useChromium, type PageWatch } from "../helpers/browser";
import { useTestGateway } from "../helpers/gateway";

const PASSWORD = "Session-Pw1!";

const gateway = useTestGateway();
const browser = useChromium();
let attacker: Server;
let attackerPort = 0;

/** A bare page for another origin, from which the attacks are launched. */
function startAttacker(): Promise<Server> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html" });
    res.end("<!doctype html><title>elsewhere</title><p>another origin</p>");
  });
  server.listen(0, "127.0.0.1");
  return once(server, "listening").then(() => server);
}

beforeAll(async () => {
  attacker = await startAttacker();
  attackerPort = (attacker.address() as AddressInfo).port;
});

afterAll(() => {
  attacker.close();
});

/** An account and a signed-in account page in a fresh context. */
async function signedIn(
  tag: string,
): Promise<{ context: BrowserContext; page: Page; seen: PageWatch; email: string }> {
  const email = `${tag}.${Date.now()}@example.com`;
  return { ...(await signedInPage(browser, gateway.url, email, PASSWORD)), email };
}

const accountView = (page: Page) =>
  page.getByRole("region", { name: "You are signed in", exact: true });

/** Whether the context's cookies still hold a live session (asked from the page's origin). */
async function sessionAlive(page: Page): Promise<boolean> {
  return page.evaluate(async () => (await fetch("/auth/session")).status === 200);
}

describe("the account page in session mode (Chromium)", () => {
  test("no token is readable by scripts; a reload keeps the session", async () => {
    const bodies: string[] = [];
    const { context, page, seen, email } = await signedIn("reload");
    page.on("response", (response) => {
      if (new URL(response.url()).pathname.startsWith("/auth/")) {
        void response.text().then(
          (text) => bodies.push(text),
          () => undefined,
        );
      }
    });
    const cookies = await context.cookies();
    expect(cookies.map((c) => c.name).sort()).toEqual(["cg-refresh", "cg-session"]);
    for (const cookie of cookies) {
      expect(cookie.httpOnly).toBe(true);
      expect(cookie.sameSite).toBe("Strict");
    }
    expect(cookies.find((c) => c.name === "cg-refresh")?.path).toBe("/auth/session/refresh");

    await page.reload();
    await accountView(page).waitFor({ state: "visible" });
    await expect(page.locator("#claim-email").textContent()).resolves.toBe(email);
    await shot(page, "20-session-after-reload");

    const readable = await page.evaluate(() => ({
      cookie: document.cookie,
      local: window.localStorage.length,
      session: window.sessionStorage.length,
    }));
    expect(readable).toEqual({ cookie: "", local: 0, session: 0 });
    expect(bodies.length).toBeGreaterThan(0);
    for (const body of bodies) {
      expect(body).not.toMatch(/eyJ[A-Za-z0-9_-]+\./); // no JWT
      for (const cookie of cookies) expect(body).not.toContain(cookie.value);
    }
    expect(seen).toEqual({ problems: [], violations: [] });
    await context.close();
  }, 60_000);

  test("refreshes silently before the access token expires", async () => {
    const { context, page, seen } = await signedIn("silent");
    await page.clock.install();
    await page.reload(); // the page's timers now run on the test's clock
    await accountView(page).waitFor({ state: "visible" });
    const refreshed = page.waitForResponse(
      (r) => new URL(r.url()).pathname === "/auth/session/refresh",
    );
    await page.clock.fastForward("59:30"); // the emulator's access tokens live one hour
    expect((await refreshed).status()).toBe(200);
    await expect(accountView(page).isVisible()).resolves.toBe(true);
    expect(seen.problems).toEqual([]);
    await context.close();
  }, 60_000);

  test("logging out in one tab signs the other out on its next call", async () => {
    const { context, page: first, seen } = await signedIn("tabs");
    const second = await context.newPage();
    await second.goto(`${gateway.url}/`);
    await accountView(second).waitFor({ state: "visible" });

    await accountView(first).getByRole("button", { name: "Log out", exact: true }).click();
    await first.getByRole("region", { name: "Log in", exact: true }).waitFor({ state: "visible" });
    expect(await context.cookies()).toEqual([]);

    await accountView(second).getByRole("button", { name: "Refresh", exact: true }).click();
    const logIn = second.getByRole("region", { name: "Log in", exact: true });
    await logIn.waitFor({ state: "visible" });
    await expect(logIn.getByRole("alert").textContent()).resolves.toBe(
      "Your session has ended. Please log in again.",
    );
    await shot(second, "21-session-other-tab-signed-out");
    expect(seen.problems).toEqual([]);
    await context.close();
  }, 60_000);
});

describe("CSRF defence in Chromium", () => {
  const logoutPath = "/auth/session/logout";

  /** Runs the three attacks from `origin` in the victim's context; answers what each produced. */
  async function attack(context: BrowserContext, origin: string) {
    const page = await context.newPage();
    await page.goto(`${origin}/`);
    const target = `${gateway.url}${logoutPath}`;
    const seenStatuses: number[] = [];
    page.on("response", (response) => {
      if (response.url() === target) seenStatuses.push(response.status());
    });

    // 1. A cross-origin form POST (what a classic CSRF page does): a navigation.
    const formAnswer = page.waitForResponse((r) => r.url() === target);
    await page.evaluate((action) => {
      const form = document.createElement("form");
      form.method = "POST";
      form.action = action;
      form.enctype = "text/plain";
      const field = document.createElement("input");
      field.name = '{"a":"';
      field.value = '"}';
      form.appendChild(field);
      document.body.appendChild(form);
      form.submit();
    }, target);
    const form = await formAnswer;
    const formStatus = form.status();
    const formBody = await form.text();
    await page.goto(`${origin}/`);

    // 2. fetch with credentials and the header: the preflight is refused, nothing is sent.
    // 3. fetch with credentials without the header: a "simple" request, refused by the gateway.
    const fetches = await page.evaluate(async (url) => {
      const outcome = async (init: RequestInit) => {
        try {
          const res = await fetch(url, init);
          return `status ${res.status}`;
        } catch (error) {
          return `blocked: ${(error as Error).name}`;
        }
      };
      return {
        withHeader: await outcome({
          method: "POST",
          credentials: "include",
          headers: { "X-CSRF": "1", "Content-Type": "application/json" },
          body: "{}",
        }),
        withoutHeader: await outcome({
          method: "POST",
          credentials: "include",
          headers: { "Content-Type": "text/plain" },
          body: "{}",
        }),
      };
    }, target);
    await page.close();
    return { formStatus, formBody, fetches, seenStatuses };
  }

  test.each([
    ["same site, another origin (127.0.0.1, other port)", () => `http://127.0.0.1:${attackerPort}`],
    ["another site (localhost)", () => `http://localhost:${attackerPort}`],
  ])(
    "from %s: form POST, fetch with credentials, fetch without the header all fail",
    async (_label, originOf) => {
      const { context, page } = await signedIn("csrf");
      const result = await attack(context, originOf());
      expect(result.formStatus).toBe(403);
      expect(JSON.parse(result.formBody)).toMatchObject({ error: { code: "csrf_failed" } });
      expect(result.fetches.withHeader).toBe("blocked: TypeError"); // CORS preflight refused
      expect(result.fetches.withoutHeader).toBe("blocked: TypeError"); // no CORS: unreadable
      // What reached the gateway was refused; the preflighted request never left the browser.
      expect(result.seenStatuses.every((status) => status === 403)).toBe(true);
      expect(await sessionAlive(page)).toBe(true);
      await expect(accountView(page).isVisible()).resolves.toBe(true);
      await context.close();
    },
    60_000,
  );

  test("the same calls from the page's own origin succeed", async () => {
    const { context, page } = await signedIn("own");
    const answers = await page.evaluate(async () => {
      const call = async (path: string) =>
        (
          await fetch(path, {
            method: "POST",
            credentials: "include",
            headers: { "X-CSRF": "1", "Content-Type": "application/json" },
            body: "{}",
          })
        ).status;
      return {
        refresh: await call("/auth/session/refresh"),
        logout: await call("/auth/session/logout"),
      };
    });
    expect(answers).toEqual({ refresh: 200, logout: 204 });
    expect(await sessionAlive(page)).toBe(false);
    await context.close();
  }, 60_000);
});
