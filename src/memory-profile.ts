/**
 * The standalone server's memory profile: two V8 flags that keep its footprint small under load
 * with no hard heap cap.
 *
 * - `--max-semi-space-size=4`: semi-spaces (the young generation) of 4 MB instead of V8's up to
 *   16 MB. Short-lived request garbage is collected sooner, in more but cheaper scavenges.
 * - `--heap-growing-percent=50`: after a full collection, V8 lets the old space grow to 1.5× the
 *   live set before the next one, instead of its default of up to 4× when memory looks plentiful.
 *
 * Why these values (paired runs, 200 connections, distinct tokens): 2 MB / 20 % peaked lower
 * (96–98 MB) but spent the most time in GC of the three (with the token cache still churning,
 * a scavenge every ~12 ms and 3–4 full collections a second); 8 MB / 50 % peaked at 115–117 MB,
 * too close to the 120 MB goal. 4 MB / 50 % peaked at 105–106 MB.
 *
 * Neither caps the heap: a large live set (a full revocation mirror, many server-side sessions)
 * still gets the memory it needs — where `--max-old-space-size` would turn it into an
 * out-of-memory crash of the authentication gateway. `npm run bench` measures the effect
 * (section 4) against the server run without it, in the same run.
 *
 * `npm start` passes the flags on its command line (package.json; a test keeps the two equal).
 * `cognito-gateway serve` re-executes itself with them where Node can replace a process in place
 * ({@link execWithMemoryProfile}). An operator who sets either flag, on the command line or in
 * `NODE_OPTIONS`, keeps their own value.
 */

/** The flags, as `npm start` passes them. */
export const MEMORY_PROFILE_FLAGS: readonly string[] = [
  "--max-semi-space-size=4",
  "--heap-growing-percent=50",
];

/** The flag names (`--max-semi-space-size`), to find an operator's own choice. */
const FLAG_NAMES = MEMORY_PROFILE_FLAGS.map((flag) => flag.slice(0, flag.indexOf("=")));

/** How the process was started: what {@link memoryProfileState} reads. */
export interface ProcessStart {
  /** `process.execArgv`: Node's own command-line flags. */
  readonly execArgv: readonly string[];
  /** `NODE_OPTIONS` (V8 accepts `--max-semi-space-size` there, not `--heap-growing-percent`). */
  readonly nodeOptions: string;
}

/**
 * `on`: both flags as the profile sets them; `operator`: either flag set to another value (left
 * alone); `off`: neither set (Node's defaults).
 */
export type MemoryProfileState = "on" | "operator" | "off";

/** Which memory profile the process runs with. */
export function memoryProfileState(start: ProcessStart): MemoryProfileState {
  const given = [...start.execArgv, ...start.nodeOptions.split(/\s+/)].map((arg) =>
    arg.replace(/_/g, "-"),
  );
  if (MEMORY_PROFILE_FLAGS.every((flag) => given.includes(flag))) return "on";
  const named = given.some((arg) => FLAG_NAMES.some((name) => arg.startsWith(`${name}=`)));
  return named ? "operator" : "off";
}

/** What {@link execWithMemoryProfile} needs of `process`. */
export interface Reexecutable extends ProcessStart {
  readonly execPath: string;
  /** `process.argv`: the node binary, the script, its arguments. */
  readonly argv: readonly string[];
  /** `process.execve` (Node ≥ 22.15 and ≥ 23.11, not on Windows). */
  readonly execve?: (file: string, args: string[]) => void;
}

/**
 * Replaces this process, in place (same PID, so signals and a container's PID 1 are kept), by the
 * same command with {@link MEMORY_PROFILE_FLAGS} — when neither flag is set yet and Node can:
 * `process.execve` does not exist on Node 20 or on Windows. Returns only when nothing was done.
 */
export function execWithMemoryProfile(proc: Reexecutable): void {
  if (memoryProfileState(proc) !== "off" || typeof proc.execve !== "function") return;
  proc.execve(proc.execPath, [
    proc.execPath,
    ...proc.execArgv,
    ...MEMORY_PROFILE_FLAGS,
    ...proc.argv.slice(1),
  ]);
}
