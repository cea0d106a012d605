/**
 * The public API: every value the package documents is exported, and every type that a public
 * signature uses can be named by a user (exported from one of the entry points), so nobody has
 * to write `Parameters<typeof createGateway>[0]`. The TypeScript compiler walks the signatures.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import ts from "typescript";
import * as api from "../../src";
import * as server from "../../src/server";
import * as local from "../../src/local";

const ROOT = resolve(__dirname, "../..");
const ENTRIES = ["src/index.ts", "src/server.ts", "src/local.ts"].map((f) => join(ROOT, f));

function compilerOptions(): ts.CompilerOptions {
  const file = ts.readConfigFile(join(ROOT, "tsconfig.build.json"), (p) => ts.sys.readFile(p));
  return ts.parseJsonConfigFileContent(file.config, ts.sys, ROOT).options;
}

function isOurs(declaration: ts.Declaration): boolean {
  const file = declaration.getSourceFile().fileName;
  return (
    !file.includes("/node_modules/") &&
    (file.startsWith(join(ROOT, "src")) || file.startsWith(tmpdir()))
  );
}

const NAMED_TYPE =
  ts.SymbolFlags.Interface | ts.SymbolFlags.TypeAlias | ts.SymbolFlags.Class | ts.SymbolFlags.Enum;

/**
 * Types declared in our sources that the public signatures of `entries` use but that no entry
 * exports, as "Type (used by export)".
 */
function unexportedTypes(program: ts.Program, entries: readonly string[]): string[] {
  const checker = program.getTypeChecker();
  const real = (s: ts.Symbol) => (s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s);
  const exported = new Map<ts.Symbol, string>();
  for (const entry of entries) {
    const module = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!;
    for (const s of checker.getExportsOfModule(module)) exported.set(real(s), s.name);
  }
  const missing = new Set<string>();
  const seenTypes = new Set<ts.Type>();
  const consider = (symbol: ts.Symbol | undefined, user: string) => {
    if (symbol === undefined) return;
    const target = real(symbol);
    const declaration = target.declarations?.[0];
    if (!(target.flags & NAMED_TYPE) || declaration === undefined || !isOurs(declaration)) return;
    if (!exported.has(target)) missing.add(`${target.name} (used by ${user})`);
  };
  // An inferred type (no annotation): its alias, its symbol, its type arguments, what it returns.
  const inferred = (type: ts.Type, user: string, depth = 0) => {
    if (depth > 3 || seenTypes.has(type)) return;
    seenTypes.add(type);
    consider(type.aliasSymbol, user);
    consider(type.getSymbol(), user);
    const parts = type.isUnionOrIntersection() ? type.types : [];
    const args =
      type.flags & ts.TypeFlags.Object ? checker.getTypeArguments(type as ts.TypeReference) : [];
    for (const part of [...parts, ...args]) inferred(part, user, depth + 1);
    for (const sig of type.getCallSignatures()) inferred(sig.getReturnType(), user, depth + 1);
  };
  const hidden = (node: ts.Node) =>
    (ts.canHaveModifiers(node) &&
      ts.getModifiers(node)?.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword) === true) ||
    (ts.isClassElement(node) && node.name !== undefined && ts.isPrivateIdentifier(node.name)) ||
    ts.getJSDocTags(node).some((tag) => tag.tagName.text === "internal"); // stripInternal
  const walk = (node: ts.Node, user: string): void => {
    if (ts.isBlock(node) || hidden(node)) return; // bodies, private and @internal members
    if (ts.isTypeReferenceNode(node) || ts.isExpressionWithTypeArguments(node)) {
      const name = ts.isTypeReferenceNode(node) ? node.typeName : node.expression;
      consider(checker.getSymbolAtLocation(name), user);
    }
    if (ts.isTypeQueryNode(node)) consider(checker.getSymbolAtLocation(node.exprName), user);
    if (ts.isVariableDeclaration(node) || ts.isPropertyDeclaration(node) || ts.isParameter(node)) {
      // the annotation, or the type inferred from the initializer (never the initializer itself)
      if (node.type) walk(node.type, user);
      else inferred(checker.getTypeAtLocation(node), user);
      return;
    }
    if (ts.isFunctionLike(node) && node.type === undefined && !ts.isConstructorDeclaration(node)) {
      const signature = checker.getSignatureFromDeclaration(node);
      if (signature) inferred(signature.getReturnType(), user);
    }
    ts.forEachChild(node, (child) => {
      walk(child, user);
    });
  };
  for (const [symbol, name] of exported) {
    for (const declaration of symbol.declarations ?? [])
      if (isOurs(declaration)) walk(declaration, name);
  }
  return [...missing].sort();
}

/** One program for both checks: the entries and a fixture entry that forgets a type. */
let program: ts.Program;
let fixture: string;
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "public-api-"));
  fixture = join(dir, "entry.ts");
  const src = join(ROOT, "src").replace(/\\/g, "/");
  writeFileSync(fixture, `export { createGateway, type Gateway } from "${src}/gateway";\n`);
  program = ts.createProgram([...ENTRIES, fixture], compilerOptions());
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("public API", () => {
  it("exports what the README documents", () => {
    for (const name of [
      "createGateway",
      "createAuthRouter",
      "requireAuth",
      "createApp",
      "createVerifier",
      "FileKeyStore",
      "StaticKeyStore",
      "MemoryRevocationStore",
      "JournalRevocationStore",
      "MemoryStateStore",
      "createSealer",
      "GatewayError",
      "ConfigError",
      "STATUS_BY_CODE",
      "createLogger",
      "createPrometheusMetrics",
      "REJECT_REASONS",
      "AUDIT_EVENTS",
      "loadConfig",
      "startGateway",
    ]) {
      expect(api).toHaveProperty(name);
    }
    expect(Object.keys(server).sort()).toEqual(
      expect.arrayContaining(["loadConfig", "serve", "startGateway"]),
    );
    expect(Object.keys(local)).toEqual(expect.arrayContaining(["startLocalCognito"]));
  });

  it("exports every type that a public signature uses", () => {
    expect(unexportedTypes(program, ENTRIES)).toEqual([]);
  });

  it("notices a type that goes missing (the check itself)", () => {
    expect(unexportedTypes(program, [fixture])).toEqual(
      expect.arrayContaining(["GatewayOptions (used by createGateway)"]),
    );
  });
});
