/**
 * The emulator's codes: createOtp (a fixed code checked like Cognito's, or six CSPRNG digits) and
 * LocalCodeSender (the latest code per address, one log line, an observer that cannot break the
 * delivery).
 */
import type { Context } from "cognito-local/lib/services/context";
import type { User } from "cognito-local/lib/services/userPoolService";
import { createOtp, LocalCodeSender, type LocalCodeContext } from "../../src/local/codes";
import { configError } from "../helpers/config-error";
import { capturingLogger } from "../helpers/local";

/** pino's numeric levels. */
const WARN = 40;
const ERROR = 50;

describe("createOtp", () => {
  it("answers the fixed code every time", () => {
    const otp = createOtp("042424");
    expect([otp(), otp(), otp()]).toEqual(["042424", "042424", "042424"]);
  });

  it.each(["", "12345", "1234567", "12a456", " 123456", "123456\n", "١٢٣٤٥٦"])(
    "refuses the fixed code %j",
    (code) => {
      const error = configError(() => createOtp(code));
      expect([error.reason, error.option]).toEqual(["malformed", "LOCAL_CONFIRMATION_CODE"]);
    },
  );

  it("draws six zero-padded digits, different ones, never from process.env.CODE", () => {
    const previous = process.env.CODE;
    process.env.CODE = "111111";
    try {
      const otp = createOtp(undefined);
      const codes = Array.from({ length: 300 }, () => otp());
      for (const code of codes) expect(code).toMatch(/^\d{6}$/);
      // 300 draws: about 30 start with 0 (none missing has odds under 1e-13), and repeats are rare.
      expect(codes.some((code) => code.startsWith("0"))).toBe(true);
      expect(new Set(codes).size).toBeGreaterThan(250);
    } finally {
      if (previous === undefined) delete process.env.CODE;
      else process.env.CODE = previous;
    }
  });
});

describe("LocalCodeSender", () => {
  const user = { Username: "internal-id" } as unknown as User;

  function sender(onCode?: (email: string, code: string) => void) {
    const { logger, lines } = capturingLogger();
    const ctx: Context = { logger };
    return { codes: new LocalCodeSender({ logger, onCode }), ctx, lines };
  }

  it("keeps the latest code per address, looked up in any case", async () => {
    const { codes, ctx } = sender();
    expect(codes.latestCode("ann@example.com")).toBeUndefined();
    await codes.sendEmail(ctx, user, "Ann@Example.com", { __code: "111111" });
    await codes.sendEmail(ctx, user, "bob@example.com", { __code: "222222" });
    expect(codes.latestCode("ann@example.com")).toBe("111111");
    expect(codes.latestCode("ANN@EXAMPLE.COM")).toBe("111111");
    await codes.sendSms(ctx, user, "ann@example.com", { __code: "333333" });
    expect(codes.latestCode("Ann@Example.com")).toBe("333333");
    expect(codes.latestCode("bob@example.com")).toBe("222222");
  });

  it("logs each code once, as a local-mode warning naming its purpose", async () => {
    const { codes, ctx, lines } = sender();
    await codes.sendEmail(ctx, user, "ann@example.com", { __code: "111111" });
    const reset: LocalCodeContext = { ...ctx, codePurpose: "password reset" };
    await codes.sendEmail(reset, user, "ann@example.com", { __code: "222222" });
    expect(lines()).toEqual([
      expect.objectContaining({
        level: WARN,
        localMode: true,
        msg: "LOCAL MODE confirmation code for ann@example.com: 111111",
      }),
      expect.objectContaining({
        level: WARN,
        localMode: true,
        msg: "LOCAL MODE password reset code for ann@example.com: 222222",
      }),
    ]);
  });

  it("ignores a message without a code: nothing kept, logged or observed", async () => {
    const observed: string[] = [];
    const { codes, ctx, lines } = sender((_email, code) => observed.push(code));
    await codes.sendEmail(ctx, user, "ann@example.com", { emailMessage: "Welcome" });
    await codes.sendSms(ctx, user, "ann@example.com", { smsMessage: "Welcome" });
    expect(codes.latestCode("ann@example.com")).toBeUndefined();
    expect(lines()).toEqual([]);
    expect(observed).toEqual([]);
  });

  it("tells the observer each code, with the address as given", async () => {
    const observed: [string, string][] = [];
    const { codes, ctx } = sender((email, code) => observed.push([email, code]));
    await codes.sendEmail(ctx, user, "Ann@Example.com", { __code: "111111" });
    await codes.sendSms(ctx, user, "bob@example.com", { __code: "222222" });
    expect(observed).toEqual([
      ["Ann@Example.com", "111111"],
      ["bob@example.com", "222222"],
    ]);
  });

  it("keeps delivering when the observer throws, and logs the failure without the code", async () => {
    const { codes, ctx, lines } = sender(() => {
      throw new Error("observer broke");
    });
    await expect(
      codes.sendEmail(ctx, user, "ann@example.com", { __code: "111111" }),
    ).resolves.toBeUndefined();
    expect(codes.latestCode("ann@example.com")).toBe("111111");
    const failure = lines().find((line) => line.level === ERROR);
    expect(failure).toMatchObject({ err: { message: "observer broke" } });
    expect(JSON.stringify(failure)).not.toContain("111111");
  });
});
