/** CORS with credentials: only for the origins listed for sessions, never for bearer-only ones. */
import { preflight } from "../helpers/http";
import { SESSION_SECRET } from "../helpers/session";
import { mockedGateway } from "../helpers/mocked-gateway";

const APP = "https://app.example.com";
const MOBILE_WEB = "https://bearer.example.com";

describe("CORS for session origins", () => {
  const { app } = mockedGateway(
    { sessionSecret: SESSION_SECRET, session: { origins: [APP] } },
    { corsOrigins: [MOBILE_WEB] },
  );
  const sessionPreflight = (origin: string) =>
    preflight(app, "/auth/session/login", origin, "content-type,x-csrf");

  it("lets a listed session origin send cookies and X-CSRF", async () => {
    const res = await sessionPreflight(APP);
    expect(res.headers["access-control-allow-origin"]).toBe(APP);
    expect(res.headers["access-control-allow-credentials"]).toBe("true");
    expect(res.headers["access-control-allow-headers"]).toContain("X-CSRF");
  });

  it("gives a bearer-only origin no credentials and no X-CSRF", async () => {
    const res = await sessionPreflight(MOBILE_WEB);
    expect(res.headers["access-control-allow-origin"]).toBe(MOBILE_WEB);
    expect(res.headers["access-control-allow-credentials"]).toBeUndefined();
    expect(res.headers["access-control-allow-headers"]).not.toContain("X-CSRF");
  });

  it("gives any other origin nothing", async () => {
    const res = await sessionPreflight("https://evil.example");
    expect(res.headers["access-control-allow-origin"]).toBeUndefined();
    expect(res.headers["access-control-allow-credentials"]).toBeUndefined();
  });
});
