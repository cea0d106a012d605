import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "../../src/errors";
import { EMULATOR_KID, FileKeyStore } from "../../src/auth/keys";
import {
  checkJwks,
  DEFAULT_JWKS_FILE,
  jwksUrl,
  pullJwks,
  resolveJwksCliOptions,
} from "../../src/auth/jwks-pull";
import { cliFlag, runCommand } from "../../src/cli";
import { jwksOf, signingKey } from "../helpers/auth";
import { configError } from "../helpers/config-error";

const POOL = "eu-west-1_Pull1";
const PATH = `/${POOL}/.well-known/jwks.json`;

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let server: Server;
let base = "";
let handler: Handler;
const requested: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    requested.push(req.url ?? "");
    handler(req, res);
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((done) => server.close(done));
});

let dir: string;
let out: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "jwks-pull-"));
  out = join(dir, "jwks.json");
  requested.length = 0;
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Sends the request to the local server instead of Cognito, keeping its path. */
const localFetch: typeof fetch = (input, init) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  expect(url.origin).toBe("https://cognito-idp.eu-west-1.amazonaws.com");
  return fetch(`${base}${url.pathname}`, init);
};

function serveJson(body: unknown, status = 200): Handler {
  return (_req, res) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(typeof body === "string" ? body : JSON.stringify(body));
  };
}

async function pullError(options: Partial<Parameters<typeof pullJwks>[0]> = {}): Promise<unknown> {
  try {
    await pullJwks({ poolId: POOL, out, fetch: localFetch, ...options });
  } catch (err) {
    return err;
  }
  return undefined;
}

describe("pullJwks", () => {
  it("fetches the pool's JWKS, validates it and writes it atomically", async () => {
    handler = serveJson(jwksOf(signingKey("kid-1"), signingKey("kid-2")));
    const result = await pullJwks({ poolId: POOL, out, fetch: localFetch });
    expect(requested).toEqual([PATH]);
    expect(result.kids).toEqual(["kid-1", "kid-2"]);
    expect(result.url).toBe(`https://cognito-idp.eu-west-1.amazonaws.com${PATH}`);
    expect(new FileKeyStore(out).kids).toEqual(["kid-1", "kid-2"]);
    expect(readdirSync(dir)).toEqual(["jwks.json"]); // no temporary file left behind
  });

  it.each([
    [
      "the emulator's key",
      jwksOf({
        ...signingKey(),
        kid: EMULATOR_KID,
        jwk: { ...signingKey().jwk, kid: EMULATOR_KID },
      }),
    ],
    ["an empty key set", { keys: [] }],
    ["a weak key", jwksOf(signingKey("weak", 1024))],
    ["something that is not JSON", "<html>"],
  ])("refuses %s and leaves the existing file alone", async (_name, body) => {
    writeFileSync(out, "previous");
    handler = serveJson(body);
    expect(await pullError()).toBeInstanceOf(ConfigError);
    expect(readFileSync(out, "utf8")).toBe("previous");
    expect(readdirSync(dir)).toEqual(["jwks.json"]);
  });

  it("refuses an HTTP error", async () => {
    handler = serveJson({ message: "not found" }, 404);
    expect(await pullError()).toBeInstanceOf(ConfigError);
  });

  it("gives up after the timeout", async () => {
    handler = () => undefined; // never answers
    expect(await pullError({ timeoutMs: 200 })).toBeInstanceOf(ConfigError);
  });

  it("refuses a malformed pool id or a mismatched region without any request", async () => {
    expect(await pullError({ poolId: "not-a-pool" })).toBeInstanceOf(ConfigError);
    expect(await pullError({ region: "us-east-1" })).toBeInstanceOf(ConfigError);
    expect(requested).toEqual([]);
  });
});

describe("checkJwks", () => {
  const pin = (...kids: string[]) => {
    writeFileSync(out, JSON.stringify(jwksOf(...kids.map((kid) => signingKey(kid)))));
  };
  const check = () => checkJwks({ poolId: POOL, file: out, fetch: localFetch });

  it("is in sync when the pinned keys are exactly the published ones, and writes nothing", async () => {
    pin("kid-1", "kid-2");
    const before = readFileSync(out, "utf8");
    handler = serveJson(jwksOf(signingKey("kid-2"), signingKey("kid-1")));
    expect(await check()).toMatchObject({ inSync: true, missing: [], retired: [], changed: [] });
    expect(readFileSync(out, "utf8")).toBe(before);
  });

  it("reports a newly published key, a retired key and a changed key as drift", async () => {
    pin("kid-1", "kid-old");
    handler = serveJson(jwksOf(signingKey("kid-new"), signingKey("kid-1")));
    expect(await check()).toMatchObject({
      inSync: false,
      missing: ["kid-new"],
      retired: ["kid-old"],
    });
    handler = serveJson({
      keys: [{ ...signingKey("kid-other").jwk, kid: "kid-1" }, signingKey("kid-old").jwk],
    });
    expect(await check()).toMatchObject({ inSync: false, changed: ["kid-1"], missing: [] });
  });

  it("refuses an unreadable pinned file before any request", async () => {
    writeFileSync(out, "{not json");
    await expect(check()).rejects.toBeInstanceOf(ConfigError);
    expect(requested).toEqual([]);
  });
});

describe("cognito-gateway jwks (the CLI)", () => {
  const pool = ["--pool-id", POOL];

  it("check exits 0 in sync, 1 on drift (naming the kid), 2 when it cannot tell", async () => {
    writeFileSync(out, JSON.stringify(jwksOf(signingKey("kid-1"))));
    handler = serveJson(jwksOf(signingKey("kid-1")));
    const args = ["jwks", "check", ...pool, "--file", out];
    expect(await runCommand(args, localFetch)).toMatchObject({ status: 0, stdout: /in sync/ });
    handler = serveJson(jwksOf(signingKey("kid-1"), signingKey("kid-2")));
    const drift = await runCommand(args, localFetch);
    expect(drift.status).toBe(1);
    expect(drift.stdout).toMatch(/published, not pinned: kid-2/);
    handler = serveJson({ message: "down" }, 500);
    expect(await runCommand(args, localFetch)).toMatchObject({ status: 2, stderr: /HTTP 500/ });
    handler = serveJson(jwksOf(signingKey("kid-3")));
    expect(await runCommand(["jwks", "pull", ...pool, `--out=${out}`], localFetch)).toMatchObject({
      status: 0,
      stdout: /kids: kid-3/,
    });
    expect(new FileKeyStore(out).kids).toEqual(["kid-3"]);
  });

  it("answers usage with status 2 for an unknown command, and the version", async () => {
    expect(await runCommand(["frobnicate"])).toMatchObject({ status: 2, stderr: /usage/ });
    expect(await runCommand(["jwks", "nope"])).toMatchObject({ status: 2 });
    expect(await runCommand(["--version"])).toMatchObject({ status: 0, stdout: /^\d+\.\d+\.\d+/ });
  });
});

describe("helpers", () => {
  it("builds the Cognito JWKS URL", () => {
    expect(jwksUrl("us-east-1_Ab12")).toBe(
      "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Ab12/.well-known/jwks.json",
    );
    expect(jwksUrl("us-east-1_Ab12", "us-east-1")).toContain("us-east-1_Ab12");
  });

  it("requires a pool id for the jwks commands and defaults the file", () => {
    expect(configError(() => resolveJwksCliOptions({}))).toMatchObject({
      reason: "missing",
      option: "userPoolId",
    });
    expect(configError(() => resolveJwksCliOptions({ poolId: "" }))).toMatchObject({
      reason: "missing",
    });
    expect(resolveJwksCliOptions({ poolId: POOL })).toEqual({
      poolId: POOL,
      region: undefined,
      file: DEFAULT_JWKS_FILE,
    });
    expect(resolveJwksCliOptions({ poolId: POOL, region: "eu-west-1", file: "k.json" })).toEqual({
      poolId: POOL,
      region: "eu-west-1",
      file: "k.json",
    });
  });

  it("reads --flag value and --flag=value", () => {
    const args = ["--pool-id", "eu-west-1_X", "--out=./k.json"];
    expect(cliFlag(args, "--pool-id")).toBe("eu-west-1_X");
    expect(cliFlag(args, "--out")).toBe("./k.json");
    expect(cliFlag(args, "--region")).toBeUndefined();
  });
});
