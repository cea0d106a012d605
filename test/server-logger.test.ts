/** The standalone server's logs: readable in local mode at a terminal, JSON lines elsewhere. */
import { PassThrough } from "node:stream";
import { serverLogger } from "../src/server";

async function firstLine(
  mode: "local" | "cognito",
  isTTY: boolean,
): Promise<{ text: string; json: boolean }> {
  const out = new PassThrough();
  let text = "";
  out.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
  const logger = await serverLogger({ mode, logLevel: "info" }, isTTY, out);
  logger.info({ password: "hunter2-secret" }, "cognito-gateway ready on http://127.0.0.1:3000");
  logger.flush();
  await new Promise((done) => setImmediate(done));
  let json = true;
  try {
    JSON.parse(text.split("\n")[0] ?? "");
  } catch {
    json = false;
  }
  return { text, json };
}

describe("serverLogger", () => {
  it("prints readable lines in local mode at a terminal, still redacted", async () => {
    const { text, json } = await firstLine("local", true);
    expect(json).toBe(false);
    expect(text).toContain("cognito-gateway ready on http://127.0.0.1:3000");
    expect(text).not.toContain("hunter2-secret");
  });

  it("prints JSON lines when not at a terminal, and always with a real user pool", async () => {
    for (const [mode, isTTY] of [
      ["local", false],
      ["cognito", true],
    ] as const) {
      const { text, json } = await firstLine(mode, isTTY);
      expect(json).toBe(true);
      expect(JSON.parse(text)).toMatchObject({ password: "[redacted]", level: 30 });
    }
  });
});
