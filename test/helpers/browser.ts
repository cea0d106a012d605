/**
 * Chromium for the page tests: Debian's /usr/bin/chromium driven by playwright-core, a watch for
 * console errors and CSP violations, screenshots, and small waiting helpers.
 */
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import {
  chromium,
  type Browser,
  type BrowserContext,
  type Locator,
  type Page,
} from "playwright-core";
import { createAccount } from "../../tools/lib/gateways";

export const CHROMIUM = "/usr/bin/chromium";
export const SCREENSHOTS = path.join(__dirname, "..", "..", "artifacts", "screenshots");
/** Console errors and warnings, page errors and CSP violations seen by one page. */
export interface PageWatch {
  problems: string[];
  violations: string[];
}

/**
 * Collects everything that would mean the page is broken. Chromium reports every 4xx answer to a
 * fetch as a console error ("Failed to load resource: … status of 401"); those are the API's
 * expected answers (a wrong password, a used code), so they alone are let through — and only for
 * the gateway's own API routes.
 */
export async function watch(page: Page, baseUrl: string): Promise<PageWatch> {
  const seen: PageWatch = { problems: [], violations: [] };
  const expectedApiAnswer =
    /^Failed to load resource: the server responded with a status of 4\d\d /;
  page.on("console", (message) => {
    const type = message.type();
    if (type !== "error" && type !== "warning") return;
    const where = message.location().url;
    if (expectedApiAnswer.test(message.text()) && where.startsWith(`${baseUrl}/auth/`)) return;
    seen.problems.push(`console ${type}: ${message.text()} (${where})`);
  });
  page.on("pageerror", (error) => {
    seen.problems.push(`page error: ${error.message}`);
  });
  await page.exposeFunction("__reportCspViolation", (text: string) => {
    seen.violations.push(text);
  });
  await page.addInitScript(() => {
    const report = (window as unknown as Record<string, (text: string) => void>)
      .__reportCspViolation;
    document.addEventListener("securitypolicyviolation", (event) => {
      report?.(`${event.violatedDirective} blocked ${event.blockedURI || "inline"}`);
    });
  });
  return seen;
}

export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Polls until `read` answers a value (the emulator delivers codes asynchronously). */
export async function eventually<T>(read: () => T | undefined, what: string): Promise<T> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Submits a form by its button and waits for the API call it makes, and for the page to show it. */
export async function press(page: Page, button: Locator, route: string): Promise<number> {
  const [response] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname.endsWith(route)),
    button.click(),
  ]);
  // The page writes its answer after reading the body: wait until no form is busy any more
  // (the page's busy state ends in the same task that renders the answer).
  await page.waitForFunction(() => document.querySelector("form[aria-busy]") === null);
  return response.status();
}

/** Launches headless Chromium (fails with the install command when it is missing). */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is missing at ${CHROMIUM}; the browser tests need it. Install it with: apt-get install -y chromium`,
    );
  }
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
    ],
  });
}

/**
 * The suite's headless Chromium: launched before the suite's tests, closed after them. Tests
 * open their own contexts from it.
 */
export function useChromium(): Pick<Browser, "newContext"> {
  let launched: Browser | undefined;
  beforeAll(async () => {
    launched = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await launched?.close();
  });
  return {
    newContext: (options) => {
      if (launched === undefined) throw new Error("the suite's Chromium is used before it started");
      return launched.newContext(options);
    },
  };
}

/** A labelled region of the account page (`<section aria-labelledby>`), by its exact name. */
export function region(page: Page, name: string): Locator {
  return page.getByRole("region", { name, exact: true });
}

/** A button of a labelled region, by their exact names. */
export function button(page: Page, area: string, name: string): Locator {
  return region(page, area).getByRole("button", { name, exact: true });
}

/** Logs in through the page's "Log in" form and waits for the signed-in view. */
export async function logInOnPage(page: Page, email: string, password: string): Promise<void> {
  const logIn = region(page, "Log in");
  await logIn.getByLabel("Email", { exact: true }).fill(email);
  await logIn.getByLabel("Password", { exact: true }).fill(password);
  await logIn.getByRole("button", { name: "Log in", exact: true }).click();
  await region(page, "You are signed in").waitFor({ state: "visible" });
}

/**
 * A confirmed account (over HTTP) and the account page signed in to it, in a fresh context
 * watched for console errors and CSP violations.
 */
export async function signedInPage(
  browser: Pick<Browser, "newContext">,
  gatewayUrl: string,
  email: string,
  password: string,
): Promise<{ context: BrowserContext; page: Page; seen: PageWatch }> {
  await createAccount({ url: gatewayUrl, auth: `${gatewayUrl}/auth` }, email, password);
  const context = await browser.newContext();
  const page = await context.newPage();
  const seen = await watch(page, gatewayUrl);
  await page.goto(`${gatewayUrl}/`);
  await logInOnPage(page, email, password);
  return { context, page, seen };
}
