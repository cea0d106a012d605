#!/usr/bin/env node
/**
 * Builds the package into dist/ (plain Node, so it runs before anything else is built):
 *
 * - dist/cjs: every file of src/ compiled to CommonJS by esbuild, one file per source file (no
 *   bundling, so `import("./local/emulator")` stays a lazy `require` and cognito-local is only
 *   needed in local mode). Well under a second: `npm start` runs it every time (prestart).
 * - dist/esm: one ES module per public entry point (`.`, `./server`, `./local`) whose named
 *   exports are those of the CommonJS build. An ESM wrapper rather than a second copy of the
 *   code: whichever way an application (or two of its dependencies) loads the package, there is
 *   one GatewayError class, one key store and one set of metrics (no dual-package hazard).
 * - with `--types`: the declarations (`tsc -p tsconfig.build.json`), dist/cjs/*.d.ts, which the
 *   `.d.mts` beside each ESM entry re-exports. Slower (tsc): only `npm run build` and
 *   `npm pack` do it.
 *
 *   node scripts/build.mjs [--types]
 */
import { execFileSync } from "node:child_process";
import { readdirSync, rmSync, mkdirSync, writeFileSync, statSync, chmodSync } from "node:fs";
import { join, relative } from "node:path";
import { build } from "esbuild";

const ROOT = new URL("..", import.meta.url).pathname;
const SRC = join(ROOT, "src");
const DIST = join(ROOT, "dist");
/** Public entry points: subpath → source file (without .ts). */
const ENTRIES = { index: "index", server: "server", local: "local" };

function sources(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith(".ts") && !name.endsWith(".d.ts") ? [path] : [];
  });
}

async function buildCommonJs() {
  await build({
    entryPoints: sources(SRC),
    outdir: join(DIST, "cjs"),
    outbase: SRC,
    format: "cjs",
    platform: "node",
    target: "node20",
    bundle: false,
    // import() of our own modules must stay a require(): ESM resolution wants file extensions.
    supported: { "dynamic-import": false },
    logLevel: "warning",
  });
  chmodSync(join(DIST, "cjs", "cli.js"), 0o755);
}

/** Named exports of an entry, read by esbuild from the source (type-only exports excluded). */
async function exportNames(entry) {
  const result = await build({
    entryPoints: [join(SRC, `${entry}.ts`)],
    format: "esm",
    bundle: false,
    write: false,
    metafile: true,
    outdir: "out",
    logLevel: "silent",
  });
  return Object.values(result.metafile.outputs).flatMap((output) => output.exports);
}

async function buildEsmWrappers() {
  mkdirSync(join(DIST, "esm"), { recursive: true });
  for (const [name, entry] of Object.entries(ENTRIES)) {
    const names = (await exportNames(entry)).filter((n) => n !== "default");
    const target = `../cjs/${entry}.js`;
    const js =
      `// ES module entry: the named exports of the CommonJS build (one copy of the code).\n` +
      `import cjs from ${JSON.stringify(target)};\n` +
      (names.length ? `export const { ${names.join(", ")} } = cjs;\n` : "");
    writeFileSync(join(DIST, "esm", `${name}.mjs`), js);
    // Its types: those of the CommonJS entry (dist/cjs/*.d.ts, written by tsc with --types).
    writeFileSync(join(DIST, "esm", `${name}.d.mts`), `export * from ${JSON.stringify(target)};\n`);
  }
}

function buildTypes() {
  const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
  execFileSync(process.execPath, [tsc, "-p", join(ROOT, "tsconfig.build.json")], {
    stdio: "inherit",
  });
}

const types = process.argv.includes("--types");
const started = Date.now();
// The fast build only rewrites JavaScript: npm pack runs it (prepare) after the full one (prepack).
if (types) rmSync(DIST, { recursive: true, force: true });
await buildCommonJs();
await buildEsmWrappers();
if (types) buildTypes();
process.stderr.write(
  `build: ${relative(ROOT, DIST)}/ (CommonJS, ESM${types ? ", .d.ts" : ""}) in ${Date.now() - started} ms\n`,
);
