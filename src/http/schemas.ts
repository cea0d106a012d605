import { z } from "zod";
import { GatewayError, type ErrorDetail } from "../errors";

/**
 * The one normalisation of an address: trimmed and lower-cased, so `A@x.com` and `a@x.com` are
 * one account for Cognito, the rate limits and revocation alike.
 */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

const email = z
  .string()
  .max(320)
  .transform(normaliseEmail)
  .pipe(z.email({ message: "must be an email address" }).max(254));
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
export const confirmBody = z.strictObject({ email, code });
export const resendBody = z.strictObject({ email });
export const loginBody = z.strictObject({ email, password });
export const refreshBody = z.strictObject({
  refreshToken: jwtLike(8192),
  username: z.string().min(1).max(128),
});
export const logoutBody = z.strictObject({ refreshToken: jwtLike(8192).optional() });

/** Parses a body against a schema, or throws `invalid_request` naming each field. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
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
