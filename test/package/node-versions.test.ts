/**
 * The compiled package on the Node versions people run beside this machine's: Node 22 and 24
 * from the npm registry's `node` package (installed by the test through npx, then cached). On
 * each: the tarball imported from CommonJS and ESM, the ten-line Express app answering 401/200,
 * and `cognito-gateway serve` (compiled, re-executed with the memory profile) in local mode
 * through a whole account lifecycle.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MEMORY_PROFILE_FLAGS } from "../../src/memory-profile";
import { send } from "../../tools/lib/http";
import { CLIENT_ID, POOL_ID, accessClaims, jwksOf, mint, signingKey } from "../helpers/auth";
import { CONSUMER_FILES } from "./files";
import {
  consumerProject,
  nodeBinary,
  packedTarball,
  ROOT,
  sh,
  startUntil,
  type Child,
} from "../helpers/package";

const VERSIONS = [22, 24] as const;
const binaries = new Map<number, string>();
let project: string;

beforeAll(async () => {
  const tarball = await packedTarball();
  project = await consumerProject(tarball, CONSUMER_FILES);
  writeFileSync(join(project, "jwks.json"), JSON.stringify(jwksOf(signingKey())));
  for (const major of VERSIONS) binaries.set(major, await nodeBinary(major));
  // The repository's compiled server (what `npm start` runs): the fast JavaScript build.
  await sh(process.execPath, ["scripts/build.mjs"], { cwd: ROOT });
}, 1_200_000);

const env = (extra: Record<string, string> = {}) => ({
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  ...extra,
});

describe.each(VERSIONS)("Node %i", (major) => {
  const bin = () => binaries.get(major) ?? "";

  it("is the Node version asked for", () => {
    expect(execFileSync(bin(), ["-p", "process.versions.node"], { encoding: "utf8" })).toMatch(
      new RegExp(`^${major}\\.`),
    );
  });

  it("imports the installed package from CommonJS and ESM", () => {
    for (const file of ["use.cjs", "use.mjs"]) {
      const out = execFileSync(bin(), [file], { cwd: project, env: env(), encoding: "utf8" });
      expect(JSON.parse(out)).toMatchObject({ createGateway: "function", sameStartGateway: true });
    }
  });

  it("runs the ten-line app: 401 without a token, 200 with one", async () => {
    const app = await startUntil(
      bin(),
      ["app.mjs"],
      { cwd: project, env: env({ POOL_ID, CLIENT_ID }) },
      /listening on (\d+)/,
    );
    try {
      const url = `http://127.0.0.1:${app.match[1] ?? ""}/orders`;
      expect((await fetch(url)).status).toBe(401);
      const now = Math.floor(Date.now() / 1000);
      const token = mint({ claims: accessClaims({ iat: now, auth_time: now, exp: now + 600 }) });
      const admitted = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      expect(admitted.status).toBe(200);
    } finally {
      await app.stop();
    }
  });

  it("serves in local mode with the memory profile: register, confirm, login, me, logout", async () => {
    const dir = mkdtempSync(join(tmpdir(), `node${major}-local-`));
    let server: Child | undefined;
    try {
      server = await startUntil(
        bin(),
        ["dist/cjs/cli.js", "serve"],
        {
          cwd: ROOT,
          env: env({
            PORT: "0",
            HOST: "127.0.0.1",
            LOCAL_COGNITO_PORT: "0",
            LOCAL_DATA_DIR: dir,
            LOCAL_STATE_DIR: join(dir, "state"),
            RESPONSE_FLOOR_MS: "0",
            RESPONSE_JITTER_MS: "0",
            RATE_LIMIT: "off",
          }),
        },
        /cognito-gateway ready on (http:\/\/[0-9.:]+)/,
      );
      const base = server.match[1] ?? "";
      // `serve` re-executed itself in place (same PID) with the memory profile's V8 flags.
      const cmdline = readFileSync(`/proc/${server.child.pid ?? 0}/cmdline`, "utf8").split("\0");
      expect(cmdline).toEqual(expect.arrayContaining([...MEMORY_PROFILE_FLAGS, "serve"]));
      expect(server.output()).toMatch(/"memoryProfile":"on"/);
      const email = `node${major}.${Date.now()}@example.com`;
      const password = "Sup3r-secret!";
      expect((await send(`${base}/auth/register`, { json: { email, password } })).status).toBe(202);
      const code = await send(`${base}/_local/confirmation-code?email=${email}`);
      const confirmed = await send(`${base}/auth/confirm`, {
        json: { email, code: (code.body as { code: string }).code },
      });
      expect(confirmed.status).toBe(200);
      const login = await send(`${base}/auth/login`, { json: { email, password } });
      expect(login.status).toBe(200);
      const { accessToken, refreshToken, username } = login.body as Record<string, string>;
      const bearer = { authorization: `Bearer ${accessToken ?? ""}` };
      const me = await send(`${base}/auth/me`, { headers: bearer });
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ username });
      const out = await send(`${base}/auth/logout`, { json: { refreshToken }, headers: bearer });
      expect(out.status).toBe(204);
      expect((await send(`${base}/auth/me`, { headers: bearer })).status).toBe(401);
    } finally {
      await server?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
