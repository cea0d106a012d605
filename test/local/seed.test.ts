/**
 * seedPoolAndClient against cognito-local's real services on a fresh data directory: what it
 * creates, that it is idempotent, how it repairs a pool or client that drifted, and which of
 * several same-named records it picks. (Restarts of the whole emulator: persistence.test.ts.)
 */
import { CognitoServiceFactoryImpl } from "cognito-local/lib/services/cognitoService";
import type { Context } from "cognito-local/lib/services/context";
import { StormDBDataStoreFactory } from "cognito-local/lib/services/dataStore/stormDb";
import { UserPoolServiceFactoryImpl } from "cognito-local/lib/services/userPoolService";
import { LOCAL_CLIENT_NAME, LOCAL_POOL_NAME, seedPoolAndClient } from "../../src/local/seed";
import { capturingLogger, removeDir, tempDataDir } from "../helpers/local";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) removeDir(dir);
});

/** cognito-local's services on a fresh directory, with a clock the test sets. */
async function services() {
  const dataDir = tempDataDir();
  dirs.push(dataDir);
  const { logger, lines } = capturingLogger();
  const ctx: Context = { logger: logger.child({}, { level: "error" }) };
  let now = new Date("2026-01-01T00:00:00Z");
  const clock = { get: () => now };
  const stores = new StormDBDataStoreFactory(dataDir);
  const cognito = await new CognitoServiceFactoryImpl(
    dataDir,
    stores,
    new UserPoolServiceFactoryImpl(clock, stores),
  ).create(ctx, {});
  const setNow = (date: string) => {
    now = new Date(date);
  };
  const messages = (level: number) =>
    lines()
      .filter((line) => line.level === level)
      .map((line) => line.msg);
  return { ctx, logger, cognito, setNow, messages, all: { clock, cognito } };
}

const INFO = 30;
const WARN = 40;
const CLIENT_SETTINGS = {
  ExplicitAuthFlows: [
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
  ],
  AccessTokenValidity: 1,
  IdTokenValidity: 1,
  RefreshTokenValidity: 30,
  TokenValidityUnits: { AccessToken: "hours", IdToken: "hours", RefreshToken: "days" },
  PreventUserExistenceErrors: "ENABLED",
  EnableTokenRevocation: true,
};

describe("seedPoolAndClient", () => {
  it("creates an e-mail pool with Cognito's password policy, and a client with a secret", async () => {
    const s = await services();
    const seeded = await seedPoolAndClient(s.ctx, s.all, s.logger);

    const pools = await s.cognito.listUserPools(s.ctx);
    expect(pools).toHaveLength(1);
    expect(pools[0]).toMatchObject({
      Id: seeded.userPoolId,
      Name: LOCAL_POOL_NAME,
      UsernameAttributes: ["email"],
      AutoVerifiedAttributes: ["email"],
      Policies: {
        PasswordPolicy: {
          MinimumLength: 8,
          RequireUppercase: true,
          RequireLowercase: true,
          RequireNumbers: true,
          RequireSymbols: true,
        },
      },
    });
    const clients = await s.cognito.listAppClients(s.ctx, seeded.userPoolId);
    expect(clients).toHaveLength(1);
    expect(clients[0]).toMatchObject({
      ClientId: seeded.clientId,
      ClientName: LOCAL_CLIENT_NAME,
      ClientSecret: seeded.clientSecret,
      ...CLIENT_SETTINGS,
    });
    expect(seeded.clientSecret).toMatch(/^\w{20,}$/);
    expect(s.messages(INFO)).toEqual([
      "local Cognito: created user pool",
      "local Cognito: created app client",
    ]);
  });

  it("finds what it seeded before, creating and repairing nothing", async () => {
    const s = await services();
    const first = await seedPoolAndClient(s.ctx, s.all, s.logger);
    const second = await seedPoolAndClient(s.ctx, s.all, s.logger);
    expect(second).toEqual(first);
    expect(await s.cognito.listUserPools(s.ctx)).toHaveLength(1);
    expect(await s.cognito.listAppClients(s.ctx, first.userPoolId)).toHaveLength(1);
    expect(s.messages(INFO)).toHaveLength(2);
    expect(s.messages(WARN)).toEqual([]);
  });

  it("repairs a pool that lost its e-mail sign-in, keeping its id", async () => {
    const s = await services();
    await s.cognito.createUserPool(s.ctx, { Id: "local_drifted1", Name: LOCAL_POOL_NAME });
    const seeded = await seedPoolAndClient(s.ctx, s.all, s.logger);
    expect(seeded.userPoolId).toBe("local_drifted1");
    const pool = await s.cognito.getUserPool(s.ctx, "local_drifted1");
    expect(pool.options).toMatchObject({
      UsernameAttributes: ["email"],
      AutoVerifiedAttributes: ["email"],
    });
    expect(s.messages(WARN)).toEqual(["local Cognito: repaired user pool settings"]);
  });

  it("re-applies drifted client settings and gives a client without a secret one", async () => {
    const s = await services();
    const first = await seedPoolAndClient(s.ctx, s.all, s.logger);
    const pool = await s.cognito.getUserPool(s.ctx, first.userPoolId);
    const stored = await s.cognito.getAppClient(s.ctx, first.clientId);
    const { ClientSecret: _dropped, ...withoutSecret } = stored!;
    await pool.saveAppClient(s.ctx, {
      ...withoutSecret,
      IdTokenValidity: 5,
      TokenValidityUnits: { ...CLIENT_SETTINGS.TokenValidityUnits, IdToken: "minutes" },
    });
    s.setNow("2026-02-01T00:00:00Z");

    const second = await seedPoolAndClient(s.ctx, s.all, s.logger);
    expect(second.clientId).toBe(first.clientId);
    expect(second.clientSecret).not.toBe(first.clientSecret);
    expect(await s.cognito.getAppClient(s.ctx, first.clientId)).toMatchObject({
      ClientSecret: second.clientSecret,
      LastModifiedDate: new Date("2026-02-01T00:00:00Z"),
      ...CLIENT_SETTINGS,
    });
    expect(s.messages(WARN)).toEqual(["local Cognito: repaired app client settings"]);
  });

  it("keeps a client's secret when only its settings drifted", async () => {
    const s = await services();
    const first = await seedPoolAndClient(s.ctx, s.all, s.logger);
    const pool = await s.cognito.getUserPool(s.ctx, first.userPoolId);
    const stored = await s.cognito.getAppClient(s.ctx, first.clientId);
    await pool.saveAppClient(s.ctx, { ...stored!, ExplicitAuthFlows: ["ALLOW_USER_SRP_AUTH"] });
    const second = await seedPoolAndClient(s.ctx, s.all, s.logger);
    expect(second).toEqual(first);
    expect(await s.cognito.getAppClient(s.ctx, first.clientId)).toMatchObject(CLIENT_SETTINGS);
  });

  it("picks the oldest pool and client when a data directory holds several", async () => {
    const s = await services();
    const email = { UsernameAttributes: ["email"], AutoVerifiedAttributes: ["email"] };
    // The newer record is stored first, so listing order alone would pick it.
    await s.cognito.createUserPool(s.ctx, {
      Id: "local_newer1",
      Name: LOCAL_POOL_NAME,
      CreationDate: new Date("2026-01-02T00:00:00Z"),
      ...email,
    });
    await s.cognito.createUserPool(s.ctx, {
      Id: "local_older1",
      Name: LOCAL_POOL_NAME,
      CreationDate: new Date("2026-01-01T00:00:00Z"),
      ...email,
    });
    const pool = await s.cognito.getUserPool(s.ctx, "local_older1");
    for (const [id, day] of [
      ["newerclient", "02"],
      ["olderclient", "01"],
    ] as const) {
      await pool.saveAppClient(s.ctx, {
        ClientId: id,
        ClientName: LOCAL_CLIENT_NAME,
        ClientSecret: `${id}-secret`,
        UserPoolId: "local_older1",
        CreationDate: new Date(`2026-01-${day}T00:00:00Z`),
        LastModifiedDate: new Date(`2026-01-${day}T00:00:00Z`),
        ...CLIENT_SETTINGS,
      });
    }
    // The precondition: listed newest first.
    expect((await s.cognito.listUserPools(s.ctx)).map((p) => p.Id)).toEqual([
      "local_newer1",
      "local_older1",
    ]);
    expect((await s.cognito.listAppClients(s.ctx, "local_older1")).map((c) => c.ClientId)).toEqual([
      "newerclient",
      "olderclient",
    ]);
    expect(await seedPoolAndClient(s.ctx, s.all, s.logger)).toEqual({
      userPoolId: "local_older1",
      clientId: "olderclient",
      clientSecret: "olderclient-secret",
    });
    expect(s.messages(WARN)).toEqual([]);
  });
});
