/**
 * The package checked the way a user installs it: `npm pack`, the tarball installed into a
 * fresh project (offline-first, from the npm cache), imported from CommonJS and ESM, compiled by
 * strict TypeScript both ways, and the README's ten-line Express app answering 401 and 200.
 * publint and Are the Types Wrong report nothing.
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { CLIENT_ID, POOL_ID, accessClaims, jwksOf, mint, signingKey } from "../helpers/auth";
import { CONSUMER_FILES } from "./files";
import { consumerProject, packedTarball, ROOT, sh, startUntil } from "../helpers/package";

const BIN = (name: string) => join(ROOT, "node_modules", ".bin", name);

let tarball: string;
let project: string;

beforeAll(async () => {
  tarball = await packedTarball();
  project = await consumerProject(tarball, CONSUMER_FILES);
  writeFileSync(join(project, "jwks.json"), JSON.stringify(jwksOf(signingKey())));
}, 900_000);

/** A clean environment: the user's, not this project's test settings. */
const userEnv = (extra: Record<string, string> = {}) => ({
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  ...extra,
});
const node = (file: string) =>
  JSON.parse(
    execFileSync(process.execPath, [file], { cwd: project, env: userEnv(), encoding: "utf8" }),
  ) as Record<string, unknown>;

describe("the packed tarball", () => {
  it("holds the build, the page and the contract, and no sources, tests or pinned keys", () => {
    const list = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" }).split("\n");
    for (const file of [
      "package/dist/cjs/index.js",
      "package/dist/cjs/index.d.ts",
      "package/dist/esm/index.mjs",
      "package/dist/esm/index.d.mts",
      "package/dist/cjs/cli.js",
      "package/openapi.yaml",
      "package/public/index.html",
    ]) {
      expect(list).toContain(file);
    }
    expect(list.filter((f) => /^package\/(src|test|scripts)\/|jwks\.json$|\.env$/.test(f))).toEqual(
      [],
    );
  });

  it("imports from CommonJS", () => {
    expect(node("use.cjs")).toEqual({
      createGateway: "function",
      requireAuth: "function",
      GatewayError: "function",
      serve: "function",
      sameStartGateway: true,
      startLocalCognito: "function",
    });
  });

  it("imports from ESM: one copy of the code, and ./local explains the missing emulator", () => {
    expect(node("use.mjs")).toEqual({
      createGateway: "function",
      requireAuth: "function",
      serve: "function",
      oneGatewayError: true,
      sameStartGateway: true,
      localError: "EMULATOR_MISSING",
    });
  });

  it("type-checks under strict TypeScript from CommonJS and ESM (nodenext) and a bundler", async () => {
    const tsc = [join(ROOT, "node_modules", "typescript", "bin", "tsc")];
    await sh(process.execPath, [...tsc, "-p", "tsconfig.json"], { cwd: project });
    await sh(process.execPath, [...tsc, "-p", "tsconfig.bundler.json"], { cwd: project });
  }, 120_000);

  it("protects a route in a ten-line Express app: 401 without a token, 200 with one", async () => {
    const app = await startUntil(
      process.execPath,
      ["app.mjs"],
      { cwd: project, env: userEnv({ POOL_ID, CLIENT_ID }) },
      /listening on (\d+)/,
    );
    try {
      const url = `http://127.0.0.1:${app.match[1] ?? ""}/orders`;
      const refused = await fetch(url);
      expect(refused.status).toBe(401);
      expect(refused.headers.get("www-authenticate")).toMatch(/^Bearer /);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(
        "invalid_token",
      );
      const now = Math.floor(Date.now() / 1000);
      const token = mint({ claims: accessClaims({ iat: now, auth_time: now, exp: now + 600 }) });
      const admitted = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      expect(admitted.status).toBe(200);
      expect(await admitted.json()).toEqual({ owner: accessClaims().sub });
      const forged = mint({
        key: signingKey("kid-primary-2048", 2048 + 8), // same kid, another key
        claims: accessClaims({ iat: now, auth_time: now, exp: now + 600 }),
      });
      expect((await fetch(url, { headers: { authorization: `Bearer ${forged}` } })).status).toBe(
        401,
      );
    } finally {
      await app.stop();
    }
  });

  it("installs the cognito-gateway command; `serve` without the emulator says what to do", async () => {
    const cli = join(project, "node_modules", ".bin", "cognito-gateway");
    const { stdout } = await sh(cli, ["--help"], { cwd: project, env: userEnv() });
    expect(stdout).toMatch(/jwks check/);
    const serve = await sh(cli, ["serve"], { cwd: project, env: userEnv() }).then(
      () => "started",
      (error: unknown) => String(error),
    );
    expect(serve).toMatch(/cognito-local, a development-only package that is not installed/);
  });

  it("has nothing for publint or Are the Types Wrong to report", async () => {
    const lint = await sh(BIN("publint"), ["run", tarball, "--level", "suggestion"], {
      cwd: ROOT,
    });
    expect(lint.stdout + lint.stderr).not.toMatch(/Errors|Warnings|Suggestions/);
    const attw = await sh(BIN("attw"), [tarball, "--no-definitely-typed", "--format", "ascii"], {
      cwd: ROOT,
    });
    expect(attw.stdout).toMatch(/No problems found/);
  }, 120_000);
});
