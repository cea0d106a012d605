/**
 * `npm run local:invite -- <email>`: asks the running local-mode gateway (`npm start`, same .env)
 * to create a user with a temporary password, as an administrator's invitation would, and prints
 * it. The first sign-in with it asks for a new password (NEW_PASSWORD_REQUIRED).
 */
import { loadConfig } from "../src/config";

async function main(): Promise<number> {
  const email = process.argv[2];
  if (email === undefined || !email.includes("@")) {
    process.stderr.write("usage: npm run local:invite -- <email>\n");
    return 2;
  }
  const config = loadConfig();
  if (config.mode !== "local") {
    process.stderr.write("local:invite works only in local mode (no COGNITO_USER_POOL_ID).\n");
    return 2;
  }
  const host = config.host === "0.0.0.0" || config.host === "::" ? "127.0.0.1" : config.host;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${config.port}/_local/invite`;
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email }),
  }).catch((error: unknown) => {
    throw new Error(`Is the gateway running (npm start)? ${url}: ${String(error)}`);
  });
  const body = (await res.json()) as { email?: string; temporaryPassword?: string };
  if (res.status !== 200 || body.temporaryPassword === undefined) {
    process.stderr.write(`The gateway refused: ${res.status} ${JSON.stringify(body)}\n`);
    return 1;
  }
  process.stdout.write(
    `Invited ${body.email ?? email}\nTemporary password: ${body.temporaryPassword}\nSign in on the account page; you will be asked for a new password.\n`,
  );
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
