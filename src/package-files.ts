import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";

/**
 * The folder of this package's package.json, whichever copy runs: the sources (src/), the
 * compiled CommonJS (dist/cjs/) or an installed package (node_modules/cognito-gateway/dist/cjs/).
 * The account page, openapi.yaml and the version are read from there.
 */
export const PACKAGE_ROOT = findRoot(__dirname);

function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "openapi.yaml"))) return dir;
    if (dirname(dir) === dir) return dirname(from); // not found: the layout of the sources
  }
}

/** This package's version, from its package.json. */
export function packageVersion(): string {
  const json = JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")) as {
    version?: unknown;
  };
  return typeof json.version === "string" ? json.version : "unknown";
}
