/**
 * Challenge handles on their own: what is sealed opens back whole (Cognito's session never in
 * clear), a handle is used up once, a tampered, foreign or expired one does not open, and the
 * single-use marker outlives the handle.
 */
import type { PendingChallenge } from "../../src/cognito/challenges";
import { createChallengeHandles } from "../../src/session/challenge-handle";
import { createSealer } from "../../src/session/seal";
import { MemoryStateStore } from "../../src/stores/state";
import { ManualClock } from "../helpers/auth";
import { SESSION_SECRET } from "../helpers/session";

const PENDING: PendingChallenge = {
  name: "SELECT_MFA_TYPE",
  cognitoSession: "cognito-session-secret",
  username: "internal-user-1",
  options: ["SMS_MFA", "SOFTWARE_TOKEN_MFA"],
};

function handles(ttlSeconds = 180) {
  const clock = new ManualClock();
  const state = new MemoryStateStore({ clock });
  const sealer = createSealer({ secrets: [SESSION_SECRET], purpose: "challenge", clock });
  return { clock, state, handles: createChallengeHandles({ sealer, state, clock, ttlSeconds }) };
}

describe("createChallengeHandles", () => {
  it("seals the pending challenge and opens it back whole, with its lifetime", () => {
    const { clock, handles: h } = handles();
    const { session, expiresIn } = h.issue(PENDING, "person@example.com");
    expect(expiresIn).toBe(180);
    expect(session).not.toContain("cognito-session-secret");
    expect(Buffer.from(session, "base64url").toString("latin1")).not.toContain("internal-user-1");
    const opened = h.open(session);
    expect(opened).toMatchObject({
      email: "person@example.com",
      pending: PENDING,
      expiresAtMs: clock.ms + 180_000,
    });
    expect(opened?.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it("keeps NEW_PASSWORD_REQUIRED's attributes, and gives each handle its own id", () => {
    const { handles: h } = handles();
    const pending: PendingChallenge = {
      name: "NEW_PASSWORD_REQUIRED",
      cognitoSession: "s",
      username: "u",
      requiredAttributes: ["name"],
    };
    const first = h.open(h.issue(pending, "a@example.com").session);
    const second = h.open(h.issue(pending, "a@example.com").session);
    expect(first?.pending).toEqual(pending);
    expect(first?.id).not.toBe(second?.id);
  });

  it("is redeemed once only", async () => {
    const { handles: h } = handles();
    const opened = h.open(h.issue(PENDING, "a@example.com").session)!;
    await expect(h.redeem(opened)).resolves.toBe(true);
    await expect(h.redeem(opened)).resolves.toBe(false);
    await expect(h.redeem(h.open(h.issue(PENDING, "a@example.com").session)!)).resolves.toBe(true);
  });

  it("keeps the used marker past the handle's expiry", async () => {
    const { clock, state, handles: h } = handles(60);
    const opened = h.open(h.issue(PENDING, "a@example.com").session)!;
    const setIfAbsent = jest.spyOn(state, "setIfAbsent");
    clock.ms += 10_000;
    await h.redeem(opened);
    expect(setIfAbsent).toHaveBeenCalledWith(expect.stringContaining(opened.id), "1", 55);
  });

  it("does not open a tampered, foreign-purpose, expired or hollow handle", () => {
    const { clock, handles: h } = handles(60);
    const { session } = h.issue(PENDING, "a@example.com");
    const flipped = session.slice(0, 25) + (session[25] === "A" ? "B" : "A") + session.slice(26);
    expect(h.open(flipped)).toBeUndefined();
    const other = createSealer({ secrets: [SESSION_SECRET], purpose: "session", clock });
    expect(
      h.open(other.seal({ i: "x", n: "SMS_MFA", s: "s", u: "u", a: "a" }, 60)),
    ).toBeUndefined();
    const own = createSealer({ secrets: [SESSION_SECRET], purpose: "challenge", clock });
    expect(h.open(own.seal({ i: "x", n: "SMS_MFA", s: "", u: "u", a: "a" }, 60))).toBeUndefined();
    expect(h.open(own.seal({ i: "x", n: "SMS_MFA", s: "s", u: "u", a: "a" }, 60))).toBeDefined();
    clock.ms += 61_000;
    expect(h.open(session)).toBeUndefined();
  });
});
