import type { RequestHandler } from "express";
import { GatewayError } from "../errors";

/** The parts of an Express (router 2) layer the method check reads. */
interface LayerLike {
  route?: { methods?: Record<string, boolean | undefined> };
  handle?: { stack?: unknown };
  path?: string;
  /** router 2 answers the match (with the matched `path`) or false; router 1 sets `path`. */
  match(path: string): unknown;
}

/** The part of `path` a mounting layer matched, from its match result (router 2) or itself. */
function matchedPrefix(layer: LayerLike, match: unknown): string {
  const matched = (match as { path?: unknown } | null)?.path;
  return typeof matched === "string" ? matched : (layer.path ?? "");
}

/** Anything with a router stack: an Express app (`app.router`) or a Router. */
export type StackSource = () => readonly unknown[];

/**
 * The methods the routes registered in `stack` answer at `path`, recursing into mounted routers,
 * with HEAD wherever GET is (Express answers HEAD with the GET route). Plain middleware (static
 * files, limiters) is not a route and adds nothing. Empty when no route has this path.
 */
export function allowedMethods(stack: readonly unknown[], path: string): Set<string> {
  const allowed = new Set<string>();
  for (const entry of stack) {
    const layer = entry as LayerLike;
    if (typeof layer.match !== "function") continue;
    const nested = layer.handle?.stack;
    if (layer.route !== undefined) {
      if (layer.match(path) === false) continue;
      for (const [method, on] of Object.entries(layer.route.methods ?? {})) {
        if (on === true && method !== "_all") allowed.add(method.toUpperCase());
      }
    } else if (Array.isArray(nested)) {
      const match = layer.match(path);
      if (match === false || match === undefined || match === null) continue;
      const rest = path.slice(matchedPrefix(layer, match).length) || "/";
      for (const method of allowedMethods(nested, rest)) allowed.add(method);
    }
  }
  if (allowed.has("GET")) allowed.add("HEAD");
  return allowed;
}

/** Paths whose answer {@link methodGuard} keeps; past this the memo starts over (bounded memory). */
const MEMO_LIMIT = 512;

/**
 * For a known path asked with a method none of its routes answers: `405 method_not_allowed` in
 * the envelope with `Allow`, or `204` with `Allow` for an OPTIONS that is not a CORS preflight
 * (the CORS middleware, earlier, answers those for allowed origins). `Allow` is read from the
 * routes registered at request time, so routes added later are covered without a list to keep.
 * Runs before any body parsing, so a wrong method never costs a parse or a 415.
 *
 * Scanning the router stacks costs a regular-expression match per route, so the answer per path
 * is memoised. Express only ever appends layers, so the memo starts over whenever one of the
 * stacks it was read from grew (a route or router added later), and when it holds
 * {@link MEMO_LIMIT} paths (a client choosing paths cannot grow it further).
 */
export function methodGuard(stackOf: StackSource): RequestHandler {
  let memo = new Map<string, ReadonlySet<string>>();
  let sizes: StackSizes = []; // read on the first request: routes are added after this
  const allowedAt = (path: string): ReadonlySet<string> => {
    const stack = stackOf();
    if (memo.size >= MEMO_LIMIT || sizes[0]?.[0] !== stack || grew(sizes)) {
      memo = new Map();
      sizes = stackSizes(stack);
    }
    let allowed = memo.get(path);
    if (allowed === undefined) {
      allowed = allowedMethods(stack, path);
      memo.set(path, allowed);
    }
    return allowed;
  };
  return function methodNotAllowed(req, res, next) {
    const allowed = allowedAt(req.path);
    if (allowed.size === 0 || allowed.has(req.method)) {
      next();
      return;
    }
    res.set("Allow", [...allowed, "OPTIONS"].sort().join(", "));
    if (req.method === "OPTIONS") {
      res.status(204).end();
      return;
    }
    next(new GatewayError("method_not_allowed"));
  };
}

type StackSizes = (readonly [readonly unknown[], number])[];

/** A stack, the stacks of its routes and mounted routers (recursively), and their sizes now. */
function stackSizes(stack: readonly unknown[], into: StackSizes = []): StackSizes {
  into.push([stack, stack.length]);
  for (const entry of stack) {
    const layer = entry as LayerLike & { route?: { stack?: unknown } };
    const nested = layer.handle?.stack ?? layer.route?.stack;
    if (Array.isArray(nested)) stackSizes(nested as unknown[], into);
  }
  return into;
}

function grew(sizes: StackSizes): boolean {
  for (const [stack, size] of sizes) if (stack.length !== size) return true;
  return false;
}
