import fs from "node:fs";
import path from "node:path";
import { LOCAL_CLIENT_NAME, LOCAL_POOL_NAME, startLocalCognito } from "../../src/local/emulator";
import {
  capturingLogger,
  decodeJwt,
  emulatorClient,
  removeDir,
  tempDataDir,
  uniqueEmail,
} from "../helpers/local";

const PASSWORD = "Corr3ct-Horse!";

describe("local emulator data directory", () => {
  const dataDir = tempDataDir();
  afterAll(() => {
    removeDir(dataDir);
  });

  it("keeps the pool, the client and the users across restarts", async () => {
    const { logger } = capturingLogger();
    const email = uniqueEmail("persist");

    const first = await startLocalCognito({ logger, port: 0, dataDir });
    const firstClient = emulatorClient(first);
    try {
      await firstClient.signUp(email, PASSWORD);
      await firstClient.confirm(email, first.latestCode(email));
    } finally {
      firstClient.sdk.destroy();
      await first.close();
    }

    const second = await startLocalCognito({ logger, port: 0, dataDir });
    const secondClient = emulatorClient(second);
    try {
      expect(second.userPoolId).toBe(first.userPoolId);
      expect(second.clientId).toBe(first.clientId);
      expect(second.clientSecret).toBe(first.clientSecret);
      const { AuthenticationResult } = await secondClient.login(email, PASSWORD);
      // The issuer follows the port actually bound by this run.
      expect(decodeJwt(AuthenticationResult!.AccessToken!).payload.iss).toBe(second.issuer);
    } finally {
      secondClient.sdk.destroy();
      await second.close();
    }

    const files = fs.readdirSync(dataDir).sort();
    expect(files).toEqual(["clients.json", `${first.userPoolId}.json`].sort());
    const pool = JSON.parse(
      fs.readFileSync(path.join(dataDir, `${first.userPoolId}.json`), "utf8"),
    );
    expect(pool.Options).toMatchObject({
      Name: LOCAL_POOL_NAME,
      UsernameAttributes: ["email"],
      AutoVerifiedAttributes: ["email"],
    });
  });

  it("repairs an app client whose settings drifted, keeping its id", async () => {
    const { logger } = capturingLogger();
    const first = await startLocalCognito({ logger, port: 0, dataDir });
    await first.close();

    const clientsFile = path.join(dataDir, "clients.json");
    const clients = JSON.parse(fs.readFileSync(clientsFile, "utf8"));
    const stored = clients.Clients[first.clientId];
    delete stored.ClientSecret;
    stored.IdTokenValidity = 5;
    stored.TokenValidityUnits.IdToken = "minutes";
    stored.ExplicitAuthFlows = ["ALLOW_USER_SRP_AUTH"];
    fs.writeFileSync(clientsFile, JSON.stringify(clients));

    const second = await startLocalCognito({ logger, port: 0, dataDir });
    await second.close();
    expect(second.clientId).toBe(first.clientId);
    expect(second.clientSecret).not.toBe("");
    const repaired = JSON.parse(fs.readFileSync(clientsFile, "utf8")).Clients[first.clientId];
    expect(repaired).toMatchObject({
      ClientName: LOCAL_CLIENT_NAME,
      ClientSecret: second.clientSecret,
      IdTokenValidity: 1,
      TokenValidityUnits: { AccessToken: "hours", IdToken: "hours", RefreshToken: "days" },
      ExplicitAuthFlows: [
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_ADMIN_USER_PASSWORD_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
      ],
    });
  });

  it("explains unreadable data instead of crashing", async () => {
    const broken = tempDataDir();
    try {
      fs.writeFileSync(path.join(broken, "local_broken.json"), "{ not json");
      const { logger } = capturingLogger();
      await expect(startLocalCognito({ logger, port: 0, dataDir: broken })).rejects.toThrow(
        /delete that folder/,
      );
    } finally {
      removeDir(broken);
    }
  });
});
