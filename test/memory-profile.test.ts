import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  execWithMemoryProfile,
  MEMORY_PROFILE_FLAGS,
  memoryProfileState,
  type Reexecutable,
} from "../src/memory-profile";

const PROFILE = ["--max-semi-space-size=4", "--heap-growing-percent=50"];

function proc(overrides: Partial<Reexecutable> = {}) {
  const calls: { file: string; args: string[] }[] = [];
  const value: Reexecutable = {
    execPath: "/usr/bin/node",
    argv: ["/usr/bin/node", "/app/node_modules/.bin/cognito-gateway", "serve"],
    execArgv: [],
    nodeOptions: "",
    execve: (file, args) => {
      calls.push({ file, args });
    },
    ...overrides,
  };
  return { value, calls };
}

describe("memoryProfileState", () => {
  it.each([
    { execArgv: [], nodeOptions: "", state: "off" },
    { execArgv: PROFILE, nodeOptions: "", state: "on" },
    {
      execArgv: ["--max_semi_space_size=4", "--heap_growing_percent=50"],
      nodeOptions: "",
      state: "on",
    },
    {
      execArgv: ["--heap-growing-percent=50"],
      nodeOptions: "--max-semi-space-size=4",
      state: "on",
    },
    { execArgv: ["--heap-growing-percent=20"], nodeOptions: "", state: "operator" },
    {
      execArgv: [],
      nodeOptions: "--max-old-space-size=512 --max-semi-space-size=8",
      state: "operator",
    },
    { execArgv: ["--max-semi-space-size=4"], nodeOptions: "", state: "operator" },
    { execArgv: ["--enable-source-maps"], nodeOptions: "--max-old-space-size=512", state: "off" },
  ] as const)(
    "$execArgv with NODE_OPTIONS '$nodeOptions' is $state",
    ({ execArgv, nodeOptions, state }) => {
      expect(memoryProfileState({ execArgv, nodeOptions })).toBe(state);
    },
  );
});

describe("execWithMemoryProfile", () => {
  it("re-executes the same command with the flags, after the caller's own Node flags", () => {
    const { value, calls } = proc({ execArgv: ["--enable-source-maps"] });
    execWithMemoryProfile(value);
    expect(calls).toEqual([
      {
        file: "/usr/bin/node",
        args: [
          "/usr/bin/node",
          "--enable-source-maps",
          ...PROFILE,
          "/app/node_modules/.bin/cognito-gateway",
          "serve",
        ],
      },
    ]);
  });

  it("leaves an operator's own choice alone, and a process that already has the profile", () => {
    for (const start of [
      { execArgv: ["--heap-growing-percent=0"], nodeOptions: "" },
      { execArgv: [], nodeOptions: "--max-semi-space-size=16" },
      { execArgv: PROFILE, nodeOptions: "" },
    ]) {
      const { value, calls } = proc(start);
      execWithMemoryProfile(value);
      expect(calls).toEqual([]);
    }
  });

  it("does nothing where Node cannot replace the process (Node 20, Windows)", () => {
    const { value } = proc({ execve: undefined });
    expect(() => {
      execWithMemoryProfile(value);
    }).not.toThrow();
  });
});

describe("npm start", () => {
  it("passes exactly the memory profile's flags to the compiled server", () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, "..", "package.json"), "utf8")) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.start).toBe(`node ${MEMORY_PROFILE_FLAGS.join(" ")} dist/cjs/server.js`);
    expect(MEMORY_PROFILE_FLAGS).toEqual(PROFILE);
  });
});
