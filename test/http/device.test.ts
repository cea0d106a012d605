/**
 * Device tokens on their own: bound to the account they were earned on, read from the header or
 * the cookie, expiring with their seal, refused when tampered with or oversized, and set as an
 * HttpOnly cookie whose name says whether the browser enforces Secure and Path=/.
 */
import { parseSetCookie } from "cookie";
import {
  DEVICE_HEADER,
  createDeviceTokens,
  deviceCookieName,
  type DeviceTokenOptions,
} from "../../src/http/device";
import { createSealer } from "../../src/session/seal";
import { ManualClock } from "../helpers/auth";
import { SESSION_SECRET } from "../helpers/session";

const ACCOUNT = "account-key-a";
const OTHER = "account-key-b";

function tokens(overrides: Partial<DeviceTokenOptions> = {}) {
  const clock = new ManualClock();
  const sealer = createSealer({ secrets: [SESSION_SECRET], purpose: "device", clock });
  const options = { sealer, ttlSeconds: 3600, secure: true, sameSite: "strict" as const };
  return { clock, devices: createDeviceTokens({ ...options, ...overrides }) };
}

const viaHeader = (token: string) => ({ headers: { [DEVICE_HEADER]: token } });
const viaCookie = (token: string, secure = true) => ({
  headers: { cookie: `other=1; ${deviceCookieName(secure)}=${token}` },
});

describe("createDeviceTokens", () => {
  it("reads a token back, from the header or the cookie, only for its own account", () => {
    const { devices } = tokens();
    const token = devices.issue(ACCOUNT);
    const id = devices.idFor(viaHeader(token), ACCOUNT);
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(devices.idFor(viaCookie(token), ACCOUNT)).toBe(id);
    expect(devices.idFor(viaHeader(token), OTHER)).toBeUndefined();
    expect(devices.idFor({ headers: {} }, ACCOUNT)).toBeUndefined();
  });

  it("gives every token its own id", () => {
    const { devices } = tokens();
    const first = devices.idFor(viaHeader(devices.issue(ACCOUNT)), ACCOUNT);
    const second = devices.idFor(viaHeader(devices.issue(ACCOUNT)), ACCOUNT);
    expect(first).not.toBe(second);
  });

  it("falls back to the cookie when the header holds another account's token", () => {
    const { devices } = tokens();
    const mine = devices.issue(ACCOUNT);
    const req = {
      headers: { ...viaHeader(devices.issue(OTHER)).headers, ...viaCookie(mine).headers },
    };
    expect(devices.idFor(req, ACCOUNT)).toBe(devices.idFor(viaCookie(mine), ACCOUNT));
  });

  it("stops reading a token once its time to live has passed", () => {
    const { clock, devices } = tokens({ ttlSeconds: 60 });
    const token = devices.issue(ACCOUNT);
    clock.ms += 59_000;
    expect(devices.idFor(viaHeader(token), ACCOUNT)).toBeDefined();
    clock.ms += 2_000;
    expect(devices.idFor(viaHeader(token), ACCOUNT)).toBeUndefined();
  });

  it("refuses a tampered token, one sealed for another purpose, and oversized input", () => {
    const { devices } = tokens();
    const token = devices.issue(ACCOUNT);
    const flipped = token.slice(0, 30) + (token[30] === "A" ? "B" : "A") + token.slice(31);
    expect(devices.idFor(viaHeader(flipped), ACCOUNT)).toBeUndefined();
    const session = createSealer({ secrets: [SESSION_SECRET], purpose: "session" });
    const foreign = session.seal({ a: ACCOUNT, d: "id" }, 60);
    expect(devices.idFor(viaHeader(foreign), ACCOUNT)).toBeUndefined();
    const padded = `${token}${" ".repeat(2048)}`;
    expect(devices.idFor(viaHeader(padded), ACCOUNT)).toBeUndefined();
    const crowded = viaCookie(`${token}; pad=${"x".repeat(16 * 1024)}`);
    expect(devices.idFor(crowded, ACCOUNT)).toBeUndefined();
  });

  it("reads only the cookie of its own name (__Host- when Secure)", () => {
    const secure = tokens().devices;
    const token = secure.issue(ACCOUNT);
    expect(secure.idFor(viaCookie(token, false), ACCOUNT)).toBeUndefined();
    const plain = tokens({ secure: false }).devices;
    expect(plain.idFor(viaCookie(plain.issue(ACCOUNT), false), ACCOUNT)).toBeDefined();
  });

  it.each([
    [true, "strict", "__Host-cg-device"],
    [false, "lax", "cg-device"],
  ] as const)(
    "sets an HttpOnly cookie (secure %p, SameSite %s) named %s",
    (secure, sameSite, name) => {
      const { devices } = tokens({ secure, sameSite, ttlSeconds: 86_400 });
      const cookie = parseSetCookie(devices.cookie("sealed-value"));
      expect(cookie).toMatchObject({
        name,
        value: "sealed-value",
        httpOnly: true,
        path: "/",
        maxAge: 86_400,
        sameSite,
      });
      expect(cookie.secure === true).toBe(secure);
      expect(deviceCookieName(secure)).toBe(name);
    },
  );
});
