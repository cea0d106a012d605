import { CreateUserPool } from "cognito-local/lib/targets/createUserPool";
import { CreateUserPoolClient } from "cognito-local/lib/targets/createUserPoolClient";
import type { Services } from "cognito-local/lib/services";
import { type AppClient, newId } from "cognito-local/lib/services/appClient";
import type { Context } from "cognito-local/lib/services/context";
import type { UserPool } from "cognito-local/lib/services/userPoolService";
import type { Logger } from "../logger";

/** Name of the user pool local mode creates and reuses. */
export const LOCAL_POOL_NAME = "cognito-gateway-local";

/** Name of the app client local mode creates and reuses. */
export const LOCAL_CLIENT_NAME = "cognito-gateway-local-client";

/** What the gateway needs to talk to the seeded pool. */
export interface SeededPool {
  userPoolId: string;
  clientId: string;
  clientSecret: string;
}

/** Cognito's default password policy, stated explicitly so the emulator enforces it. */
const PASSWORD_POLICY = {
  MinimumLength: 8,
  RequireUppercase: true,
  RequireLowercase: true,
  RequireNumbers: true,
  RequireSymbols: true,
  TemporaryPasswordValidityDays: 7,
};

/** App client settings local mode relies on; re-applied on every start if they drifted. */
const CLIENT_SETTINGS = {
  ExplicitAuthFlows: [
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
  ],
  AccessTokenValidity: 1,
  IdTokenValidity: 1,
  RefreshTokenValidity: 30,
  // Stated in full: cognito-local defaults the ID token unit to minutes, not hours.
  TokenValidityUnits: { AccessToken: "hours", IdToken: "hours", RefreshToken: "days" },
  PreventUserExistenceErrors: "ENABLED",
  EnableTokenRevocation: true,
} satisfies Partial<AppClient>;

type SeedServices = Pick<Services, "clock" | "cognito">;

/**
 * Finds or creates the local pool and app client (idempotent: the data directory persists them,
 * so a restart keeps the ids, the secret and every user). Goes through cognito-local's own
 * CreateUserPool / CreateUserPoolClient targets, so the records are exactly what its API makes.
 */
export async function seedPoolAndClient(
  ctx: Context,
  services: SeedServices,
  logger: Logger,
): Promise<SeededPool> {
  const userPoolId = await ensurePool(ctx, services, logger);
  const client = await ensureClient(ctx, services, userPoolId, logger);
  if (client.ClientSecret === undefined) {
    throw new Error("the local app client has no secret after seeding");
  }
  return { userPoolId, clientId: client.ClientId, clientSecret: client.ClientSecret };
}

async function ensurePool(ctx: Context, services: SeedServices, logger: Logger): Promise<string> {
  const existing = oldestFirst(
    (await services.cognito.listUserPools(ctx)).filter((pool) => pool.Name === LOCAL_POOL_NAME),
  )[0];
  if (existing === undefined) {
    const created = await CreateUserPool(services)(ctx, {
      PoolName: LOCAL_POOL_NAME,
      UsernameAttributes: ["email"],
      AutoVerifiedAttributes: ["email"],
      Policies: { PasswordPolicy: PASSWORD_POLICY },
    });
    const id = created.UserPool?.Id;
    if (id === undefined) throw new Error("cognito-local created a user pool without an id");
    logger.info({ userPoolId: id }, "local Cognito: created user pool");
    return id;
  }
  if (!hasEmail(existing.UsernameAttributes) || !hasEmail(existing.AutoVerifiedAttributes)) {
    const pool = await services.cognito.getUserPool(ctx, existing.Id);
    await pool.updateOptions(ctx, {
      ...existing,
      UsernameAttributes: ["email"],
      AutoVerifiedAttributes: ["email"],
    });
    logger.warn({ userPoolId: existing.Id }, "local Cognito: repaired user pool settings");
  }
  return existing.Id;
}

async function ensureClient(
  ctx: Context,
  services: SeedServices,
  userPoolId: string,
  logger: Logger,
): Promise<AppClient> {
  const existing = oldestFirst(
    (await services.cognito.listAppClients(ctx, userPoolId)).filter(
      (client) => client.ClientName === LOCAL_CLIENT_NAME,
    ),
  )[0];
  if (existing === undefined) {
    const created = await CreateUserPoolClient(services)(ctx, {
      UserPoolId: userPoolId,
      ClientName: LOCAL_CLIENT_NAME,
      GenerateSecret: true,
      ...CLIENT_SETTINGS,
    });
    const clientId = created.UserPoolClient?.ClientId;
    const client =
      clientId === undefined ? null : await services.cognito.getAppClient(ctx, clientId);
    if (client === null) throw new Error("cognito-local did not store the app client it created");
    logger.info({ clientId: client.ClientId }, "local Cognito: created app client");
    return client;
  }
  const drifted = Object.entries(CLIENT_SETTINGS).some(
    ([key, value]) => JSON.stringify(existing[key as keyof AppClient]) !== JSON.stringify(value),
  );
  if (!drifted && existing.ClientSecret !== undefined) return existing;
  const repaired: AppClient = {
    ...existing,
    ...CLIENT_SETTINGS,
    ClientSecret: existing.ClientSecret ?? newId(),
    LastModifiedDate: services.clock.get(),
  };
  const pool = await services.cognito.getUserPool(ctx, userPoolId);
  await pool.saveAppClient(ctx, repaired);
  logger.warn({ clientId: existing.ClientId }, "local Cognito: repaired app client settings");
  return repaired;
}

function hasEmail(list: readonly string[] | undefined): boolean {
  return list?.includes("email") ?? false;
}

/** Deterministic pick when a hand-edited data directory holds duplicates. */
function oldestFirst<T extends Pick<UserPool, "CreationDate"> | Pick<AppClient, "CreationDate">>(
  items: readonly T[],
): T[] {
  return [...items].sort(
    (a, b) => (a.CreationDate?.getTime() ?? 0) - (b.CreationDate?.getTime() ?? 0),
  );
}
