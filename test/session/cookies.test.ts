/**
 * The session cookies on their own: `__Host-`/`__Secure-` names when Secure, HttpOnly with the
 * configured SameSite, the session cookie on `/` and the refresh cookie only on its refresh path,
 * a deletion with the same attributes, a read that ignores empty and oversized input, and the
 * 4 KiB bound a browser keeps.
 */
import { parseSetCookie } from "cookie";
import { MAX_COOKIE_BYTES, fits, refreshPath, sessionCookies } from "../../src/session/cookies";

const secure = sessionCookies({ secure: true, sameSite: "Strict" });
const plain = sessionCookies({ secure: false, sameSite: "Lax" });

describe("sessionCookies", () => {
  it("names the cookies by whether the browser enforces Secure", () => {
    expect(secure.names).toEqual({ session: "__Host-cg-session", refresh: "__Secure-cg-refresh" });
    expect(plain.names).toEqual({ session: "cg-session", refresh: "cg-refresh" });
  });

  it("sets the session cookie on / and the refresh cookie on its refresh path only", () => {
    const session = parseSetCookie(secure.set("session", "s-value", 3600, "/auth"));
    expect(session).toMatchObject({
      name: "__Host-cg-session",
      value: "s-value",
      httpOnly: true,
      secure: true,
      sameSite: "strict",
      path: "/",
      maxAge: 3600,
    });
    const refresh = parseSetCookie(secure.set("refresh", "r-value", 86_400, "/auth"));
    expect(refresh).toMatchObject({ name: "__Secure-cg-refresh", path: "/auth/session/refresh" });
    expect(refreshPath("/gw")).toBe("/gw/session/refresh");
  });

  it("keeps the configured SameSite, and never a Max-Age below one whole second", () => {
    const cookie = parseSetCookie(plain.set("session", "v", 0.4, "/auth"));
    expect(cookie).toMatchObject({ sameSite: "lax", maxAge: 1 });
    expect(cookie.secure).not.toBe(true);
  });

  it("deletes a cookie with the same name, path and attributes", () => {
    const cleared = parseSetCookie(secure.clear("refresh", "/auth"));
    expect(cleared).toMatchObject({
      name: "__Secure-cg-refresh",
      value: "",
      maxAge: 0,
      path: "/auth/session/refresh",
      httpOnly: true,
      secure: true,
    });
    expect(cleared.expires?.getTime()).toBe(0);
  });

  it("reads its own cookie, and nothing from an empty value or an oversized header", () => {
    const read = (cookie: string) => secure.read({ headers: { cookie } }, "session");
    expect(read("a=1; __Host-cg-session=abc; cg-session=plain")).toBe("abc");
    expect(read("cg-session=plain")).toBeUndefined();
    expect(read("__Host-cg-session=")).toBeUndefined();
    expect(read(`__Host-cg-session=abc; pad=${"x".repeat(16 * 1024)}`)).toBeUndefined();
    expect(secure.read({ headers: {} }, "refresh")).toBeUndefined();
  });
});

describe("fits", () => {
  it("holds a Set-Cookie value of up to 4 KiB, counted in UTF-8 bytes", () => {
    expect(fits("a".repeat(MAX_COOKIE_BYTES))).toBe(true);
    expect(fits("a".repeat(MAX_COOKIE_BYTES + 1))).toBe(false);
    expect(fits("é".repeat(MAX_COOKIE_BYTES / 2 + 1))).toBe(false);
  });
});
