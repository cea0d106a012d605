/** Local mode's generated sealing secret: made once, kept private, reused after a restart. */
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LOCAL_SECRET_FILE, localSessionSecret } from "../../src/local/session-secret";

describe("localSessionSecret", () => {
  let dir = "";
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "cg-secret-"));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("creates a 256-bit secret readable by the owner only, and returns the same one later", () => {
    const data = join(dir, "cognito");
    const first = localSessionSecret(data);
    expect(first).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(statSync(join(data, LOCAL_SECRET_FILE)).mode & 0o777).toBe(0o600);
    expect(localSessionSecret(data)).toBe(first);
  });

  it("refuses a file that holds no usable secret instead of silently replacing it", () => {
    writeFileSync(join(dir, LOCAL_SECRET_FILE), "short\n");
    expect(() => localSessionSecret(dir)).toThrow(/no usable secret/);
  });
});
