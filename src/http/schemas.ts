import { z } from "zod";
import { GatewayError, type ErrorDetail } from "../errors";

/**
 * The one normalisation of an address: trimmed and lower-cased, so `A@x.com` and `a@x.com` are
 * one account for Cognito, the rate limits and revocation alike.
 */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * What an address must look like (after trimming and lower-casing), at most 254 characters
 * (RFC 5321): zod's practical pattern, stated here so openapi.yaml's `Email` schema can state this very pattern (a test keeps them equal).
 * Deliberately narrower than RFC 5322: no quoted local parts, IP literals or dotless domains.
 */
export const EMAIL_PATTERN =
  /^(?:[A-Za-z0-9_'+-]+\.)*[A-Za-z0-9_'+-]*[A-Za-z0-9_+-]@(?:[A-Za-z0-9][A-Za-z0-9-]*\.)+[A-Za-z]{2,}$/;
export const EMAIL_MAX_LENGTH = 254;

const email = z
  .string()
  .max(320)
  .transform(normaliseEmail)
  .pipe(
    z.email({ pattern: EMAIL_PATTERN, message: "must be an email address" }).max(EMAIL_MAX_LENGTH),
  );
const password = z.string().min(1).max(256);
const code = z.string().regex(/^[0-9]{1,16}$/, { message: "must be the digits from the message" });
const jwtLike = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[A-Za-z0-9._~+/=-]+$/, { message: "is not a token" });

export const registerBody = z.strictObject({
  email,
  password,
  attributes: z
    .record(z.string().regex(/^[a-z][a-z0-9_:]{0,63}$/), z.string().max(2048))
    .optional(),
});
export const confirmBody = z.strictObject({ email, code, password: password.optional() });
export const resendBody = z.strictObject({ email });
export const loginBody = z.strictObject({ email, password });
export const refreshBody = z.strictObject({
  refreshToken: jwtLike(8192),
  username: z.string().min(1).max(128),
});
export const logoutBody = z.strictObject({ refreshToken: jwtLike(8192).optional() });
export const forgotBody = z.strictObject({ email });
export const resetBody = z.strictObject({ email, code, password });
export const changePasswordBody = z.strictObject({
  currentPassword: password,
  newPassword: password,
});
export const deleteAccountBody = z.strictObject({ password });

/** Keys that could reach a prototype if some code ever merged a body into an object. */
const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

/**
 * The path of the first prototype key at any depth of a parsed JSON body, if any. Iterative,
 * so a deeply nested body cannot exhaust the stack.
 */
export function prototypeKeyPath(body: unknown): string | undefined {
  const pending: { value: unknown; path: string }[] = [{ value: body, path: "" }];
  for (let item = pending.pop(); item !== undefined; item = pending.pop()) {
    const { value, path } = item;
    if (typeof value !== "object" || value === null) continue;
    for (const key of Object.keys(value)) {
      const child = path === "" ? key : `${path}.${key}`;
      if (PROTOTYPE_KEYS.has(key)) return child;
      pending.push({ value: (value as Record<string, unknown>)[key], path: child });
    }
  }
  return undefined;
}

/**
 * Parses a body against a schema, or throws `invalid_request` naming each field. Prototype
 * keys are refused first, at any depth: zod's records would silently drop `__proto__`.
 */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const unsafe = prototypeKeyPath(body);
  if (unsafe !== undefined) {
    throw new GatewayError("invalid_request", {
      details: [{ field: unsafe, problem: "is not an accepted field" }],
    });
  }
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  throw new GatewayError("invalid_request", { details: zodDetails(result.error) });
}

function zodDetails(error: z.ZodError): ErrorDetail[] {
  return error.issues.slice(0, 10).map((issue) => {
    if (issue.code === "unrecognized_keys") {
      return { field: issue.keys.join(","), problem: "is not an accepted field" };
    }
    const field = issue.path.map(String).join(".") || "body";
    const problem = issue.code === "invalid_type" ? `must be ${issue.expected}` : issue.message;
    return { field, problem };
  });
}

/** POST /login/challenge: the handle, and what the challenge needs (checked per challenge). */
export const challengeBody = z.strictObject({
  session: z
    .string()
    .min(1)
    .max(8192)
    .regex(/^[A-Za-z0-9_-]+$/, { message: "is not a challenge session" }),
  code: z
    .string()
    .regex(/^[0-9]{6,8}$/, { message: "must be the digits from the message or app" })
    .optional(),
  newPassword: password.optional(),
  mfaType: z.enum(["SOFTWARE_TOKEN_MFA", "SMS_MFA", "EMAIL_OTP"]).optional(),
  attributes: z
    .record(z.string().regex(/^[a-z][a-z0-9_:]{0,63}$/), z.string().max(2048))
    .optional(),
});

/** POST /mfa/totp/verify. */
export const mfaVerifyBody = z.strictObject({
  code: z.string().regex(/^[0-9]{6}$/, { message: "must be the six digits from the app" }),
});
/** POST /mfa/disable. */
export const mfaDisableBody = z.strictObject({ password });
