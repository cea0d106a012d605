/**
 * Building blocks for options: each module states its numeric defaults and bounds once, as
 * {@link NumberRule}s, and checks its own keys with {@link refuseUnknownKeys}. `config.ts` reuses
 * the same rules to parse environment variables, so no default or bound is written twice.
 */
import { closest, distance } from "fastest-levenshtein";
import { ConfigError } from "./errors";

/** A numeric option: its default and inclusive bounds. */
export interface NumberRule {
  readonly default: number;
  readonly min: number;
  readonly max: number;
  /** Whole numbers only. */
  readonly integer?: boolean;
}

/** The defaults of a table of rules, e.g. for documentation and `DEFAULT_*` exports. */
export function defaultsOf<K extends string>(
  rules: Readonly<Record<K, NumberRule>>,
): Readonly<Record<K, number>> {
  const out = {} as Record<K, number>;
  for (const key of Object.keys(rules) as K[]) out[key] = rules[key].default;
  return Object.freeze(out);
}

/**
 * `value` checked against `rule`, or the rule's default when `value` is undefined.
 * @throws ConfigError (`malformed` or `out_of_range`) naming `name`
 */
export function numberOption(value: unknown, rule: NumberRule, name: string): number {
  if (value === undefined) return rule.default;
  if (typeof value !== "number" || Number.isNaN(value)) {
    throw new ConfigError("malformed", name, `${name} must be a number, got ${show(value)}.`);
  }
  if (value < rule.min || value > rule.max || (rule.integer === true && !Number.isInteger(value))) {
    const kind = rule.integer === true ? "a whole number" : "a number";
    throw new ConfigError(
      "out_of_range",
      name,
      `${name} must be ${kind} from ${rule.min} to ${rule.max}, got ${show(value)}.`,
    );
  }
  return value;
}

/** Every rule of a table applied to the matching keys of `input` (prefix for messages). */
export function numberOptions<K extends string>(
  input: object,
  rules: Readonly<Record<K, NumberRule>>,
  prefix = "",
): Record<K, number> {
  const out = {} as Record<K, number>;
  for (const key of Object.keys(rules) as K[]) {
    out[key] = numberOption(Reflect.get(input, key), rules[key], `${prefix}${key}`);
  }
  return out;
}

/** The closest known name to a misspelt one, if any is close enough to be a likely typo. */
export function didYouMean(name: string, known: readonly string[]): string | undefined {
  if (known.length === 0) return undefined;
  const lower = name.toLowerCase();
  // A name missing its unit or suffix (`clockSkew` for `clockSkewSeconds`): that key, even when
  // a shorter one is fewer edits away (`clock`).
  const extended =
    lower.length < 4 ? undefined : known.find((k) => k.toLowerCase().startsWith(lower));
  if (extended !== undefined) return extended;
  const best = closest(
    lower,
    known.map((k) => k.toLowerCase()),
  );
  const match = known.find((k) => k.toLowerCase() === best);
  // Up to 3 edits, more for long names: catches plurals, short truncations and swapped letters.
  const limit = Math.max(3, Math.ceil(name.length * 0.4));
  return match !== undefined && distance(lower, best) <= limit ? match : undefined;
}

/**
 * Refuses keys of `value` that are not in `known`: a misspelt option would otherwise be ignored
 * silently and its default used. `where` prefixes the option name (e.g. `rateLimit.`).
 * @throws ConfigError (`unknown_option`) with a "did you mean" when a known key is close
 */
export function refuseUnknownKeys(value: object, known: readonly string[], where = ""): void {
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const guess = didYouMean(key, known);
    const hint =
      guess === undefined
        ? `known options: ${known.join(", ")}`
        : `did you mean "${where}${guess}"?`;
    throw new ConfigError(
      "unknown_option",
      `${where}${key}`,
      `Unknown option "${where}${key}": ${hint}`,
    );
  }
}

/**
 * The keys of an options interface as a list checked by the compiler: a key added to the
 * interface but not here (or the reverse) fails to compile.
 */
export function keysOf<T>(table: { readonly [K in keyof Required<T>]: true }): readonly string[] {
  return Object.freeze(Object.keys(table));
}

/** A value as shown in error messages (strings quoted). */
export function show(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

/** True when `value` is an array of strings (a list option from JavaScript can be anything). */
export function isStringList(value: unknown): value is readonly string[] {
  return Array.isArray(value) && value.every((item) => typeof item === "string");
}
