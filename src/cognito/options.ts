/**
 * Options of the Cognito adapter: identifiers, endpoint, timeouts. The one place where a user
 * pool id's shape, and these defaults and bounds, are written.
 */
import type { CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";
import { ConfigError } from "../errors";
import {
  defaultsOf,
  keysOf,
  numberOptions,
  refuseUnknownKeys,
  type NumberRule,
} from "../option-rules";
import type { LoginFlow } from "./adapter";

/** An AWS region, e.g. `eu-west-1`. */
export const AWS_REGION = /^[a-z]{2,4}(?:-[a-z]+)+-\d{1,2}$/;
/** A user pool id, `<prefix>_<id>`; the prefix is the AWS region for real pools. */
export const USER_POOL_ID = /^([a-z0-9-]+)_[0-9A-Za-z]+$/;

/** The AWS region of a pool id, or undefined when its prefix is not one (an emulator's pool). */
export function poolRegion(userPoolId: string): string | undefined {
  const prefix = USER_POOL_ID.exec(userPoolId)?.[1];
  return prefix !== undefined && AWS_REGION.test(prefix) ? prefix : undefined;
}

export const LOGIN_FLOWS: readonly LoginFlow[] = ["USER_PASSWORD_AUTH", "ADMIN_USER_PASSWORD_AUTH"];

/** Defaults and bounds of the adapter's numeric options. */
export const COGNITO_NUMBER_RULES = Object.freeze({
  /** Per-attempt Cognito timeout, ms. */
  cognitoTimeoutMs: { default: 3000, min: 50, max: 60_000, integer: true },
  /** Attempts, the first included. */
  cognitoMaxAttempts: { default: 2, min: 1, max: 5, integer: true },
  /** Retry-After seconds on 503. */
  retryAfterSeconds: { default: 5, min: 1, max: 3600, integer: true },
} satisfies Record<string, NumberRule>);

/** Retry-After seconds on 503 when nothing else is said (stores answer with it too). */
export const DEFAULT_RETRY_AFTER_SECONDS = COGNITO_NUMBER_RULES.retryAfterSeconds.default;

export const DEFAULT_COGNITO_NUMBERS = defaultsOf(COGNITO_NUMBER_RULES);

/** Where the gateway finds Cognito and how it calls it. */
export interface CognitoOptions {
  /** User pool id, `<region>_<id>`, e.g. `eu-west-1_AbCdEf123`. Required. */
  userPoolId: string;
  /** App client id. Required. */
  clientId: string;
  /** App client secret. Required: the gateway is a confidential client (SECRET_HASH). */
  clientSecret: string;
  /** AWS region. Default: the prefix of `userPoolId`. */
  region?: string;
  /** Expected `iss`. Default: `https://cognito-idp.<region>.amazonaws.com/<userPoolId>`. */
  issuer?: string;
  /** Cognito API endpoint override (emulator, fakes). Default: the AWS endpoint. */
  endpoint?: string;
  /** Default `USER_PASSWORD_AUTH`; `ADMIN_USER_PASSWORD_AUTH` needs IAM credentials. */
  loginFlow?: LoginFlow;
  /** Prebuilt SDK client (tests). Default: one built from region, endpoint and timeouts. */
  cognitoClient?: CognitoIdentityProviderClient;
  /** Static credentials for the SDK (the emulator). Default: the AWS credential chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Per-attempt Cognito timeout, ms, 50-60000. Default 3000. */
  cognitoTimeoutMs?: number;
  /** Cognito attempts, first included, 1-5. Default 2. */
  cognitoMaxAttempts?: number;
  /** Retry-After seconds on 503, 1-3600. Default 5. */
  retryAfterSeconds?: number;
}

/** {@link CognitoOptions} checked, with defaults filled in. Internal. */
export interface CognitoConfig {
  userPoolId: string;
  clientId: string;
  clientSecret: string;
  region: string;
  issuer: string;
  endpoint: string | undefined;
  loginFlow: LoginFlow;
  cognitoClient: CognitoIdentityProviderClient | undefined;
  credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
  cognitoTimeoutMs: number;
  cognitoMaxAttempts: number;
  retryAfterSeconds: number;
}

/** Checks the Cognito options and fills defaults. @throws ConfigError naming the option */
export function resolveCognitoOptions(o: CognitoOptions): CognitoConfig {
  const userPoolId = required(o.userPoolId, "userPoolId", "COGNITO_USER_POOL_ID");
  const clientId = required(o.clientId, "clientId", "COGNITO_CLIENT_ID");
  const clientSecret = required(o.clientSecret, "clientSecret", "COGNITO_CLIENT_SECRET");
  const region = resolveRegion(userPoolId, o.region, o.endpoint);
  const loginFlow = o.loginFlow ?? "USER_PASSWORD_AUTH";
  // JavaScript callers can pass anything: check what the type promises.
  if (!LOGIN_FLOWS.includes(loginFlow)) {
    throw new ConfigError(
      "malformed",
      "loginFlow",
      `loginFlow must be ${LOGIN_FLOWS.join(" or ")}.`,
    );
  }
  return {
    userPoolId,
    clientId,
    clientSecret,
    region,
    issuer: o.issuer ?? `https://cognito-idp.${region}.amazonaws.com/${userPoolId}`,
    endpoint: o.endpoint,
    loginFlow,
    cognitoClient: o.cognitoClient,
    credentials: resolveCredentials(o.credentials),
    ...numberOptions(o, COGNITO_NUMBER_RULES),
  };
}

/**
 * The region: given, or the pool id's prefix. An emulator pool id (prefix not a region) is
 * accepted only with an endpoint and a region.
 */
function resolveRegion(userPoolId: string, given: string | undefined, endpoint?: string): string {
  const fromPool = poolRegion(userPoolId);
  const shaped =
    USER_POOL_ID.test(userPoolId) && (fromPool !== undefined || endpoint !== undefined);
  if (!shaped) {
    throw new ConfigError(
      "malformed",
      "userPoolId",
      `userPoolId "${userPoolId}" is malformed: expected "<region>_<id>" such as "eu-west-1_AbCdEf123" (Cognito console → User pool overview).`,
    );
  }
  // An endpoint override (the emulator) may use any region name the SDK accepts.
  const regionShape = endpoint === undefined ? AWS_REGION : /^[a-z0-9-]{1,32}$/;
  if (given !== undefined && !regionShape.test(given)) {
    throw new ConfigError(
      "malformed",
      "region",
      `region must be an AWS region such as "eu-west-1", got "${given}".`,
    );
  }
  if (given !== undefined && fromPool !== undefined && given !== fromPool) {
    throw new ConfigError(
      "conflict",
      "region",
      `region ${given} does not match userPoolId ${userPoolId}; omit region.`,
    );
  }
  const region = given ?? fromPool;
  if (region === undefined) {
    throw new ConfigError(
      "missing",
      "region",
      `userPoolId ${userPoolId} has no AWS region prefix: pass region.`,
    );
  }
  return region;
}

const CREDENTIAL_KEYS = keysOf<NonNullable<CognitoOptions["credentials"]>>({
  accessKeyId: true,
  secretAccessKey: true,
});

/** Static SDK credentials: both keys, nothing else (a typo would fall back to the chain). */
function resolveCredentials(value: CognitoOptions["credentials"]): CognitoConfig["credentials"] {
  if (value === undefined) return undefined;
  if (typeof value !== "object" || (value as unknown) === null) {
    throw new ConfigError(
      "malformed",
      "credentials",
      "credentials must be { accessKeyId, secretAccessKey }.",
    );
  }
  refuseUnknownKeys(value, CREDENTIAL_KEYS, "credentials.");
  for (const key of CREDENTIAL_KEYS) {
    const item: unknown = Reflect.get(value, key);
    if (typeof item !== "string" || item === "") {
      throw new ConfigError("missing", `credentials.${key}`, `credentials.${key} is missing.`);
    }
  }
  return value;
}

function required(value: unknown, name: string, env: string): string {
  if (typeof value !== "string" || value.trim() === "") {
    throw new ConfigError(
      "missing",
      name,
      `${name} is missing: set ${env} (or pass ${name}) — see .env.example.`,
    );
  }
  return value.trim();
}
