import {
  fixed,
  goalText,
  goalsOf,
  markdownTable,
  met,
  renderSection,
  renderTable,
  resultPairs,
  tally,
  tallyLine,
  verdict,
  whole,
  type Goal,
  type Section,
  type Table,
} from "../../tools/lib/report";

describe("markdownTable", () => {
  it("escapes pipes in cells", () => {
    expect(markdownTable(["a", "b"], [["x|y", "1"]])).toBe(
      "| a | b |\n| --- | --- |\n| x\\|y | 1 |",
    );
  });
});

describe("fixed and whole", () => {
  it("format finite numbers and print NaN as n/a", () => {
    expect(fixed(1.23456, 2)).toBe("1.23");
    expect(whole(1234567.6)).toBe("1,234,568");
    expect(fixed(NaN, 2)).toBe("n/a");
    expect(whole(NaN)).toBe("n/a");
  });
});

const atLeast = (value: number): Goal => ({
  name: "ratio",
  value,
  op: "≥",
  bound: 1.2,
  unit: "×",
  digits: 1,
});
const atMost = (value: number): Goal => ({
  name: "rss",
  value,
  op: "≤",
  bound: 120,
  unit: " MB",
});

describe("verdicts", () => {
  it("meets a lower bound at or above it, an upper bound at or below it", () => {
    expect([1.2, 1.3, 1.19].map((v) => met(atLeast(v)))).toEqual([true, true, false]);
    expect([120, 90, 120.1].map((v) => met(atMost(v)))).toEqual([true, true, false]);
    expect(verdict(atLeast(2))).toBe("✅ met");
    expect(verdict(atMost(200))).toBe("❌ missed");
  });

  it("misses when the figure was not measured (NaN), whichever the direction", () => {
    expect(verdict(atLeast(NaN))).toBe("❌ missed");
    expect(verdict(atMost(NaN))).toBe("❌ missed");
  });

  it("prints the goal with its bound, unit and subject", () => {
    expect(goalText(atLeast(0))).toBe("≥ 1.2×");
    expect(goalText({ ...atLeast(0), bound: 1 })).toBe("≥ 1.0×");
    expect(goalText(atMost(0))).toBe("≤ 120 MB");
    expect(goalText({ ...atMost(0), bound: 100, unit: " ms", of: "p99 " })).toBe("p99 ≤ 100 ms");
  });
});

describe("renderTable", () => {
  const table: Table = {
    head: ["case", "ops/s"],
    notesHead: ["what"],
    rows: [
      { cells: ["raw", "27,289"], notes: ["baseline"] },
      { cells: ["ours", "18,522"], goal: atLeast(1.3), notes: ["a|b"] },
      { cells: ["slow", "9"], goal: atMost(130) },
    ],
  };

  it("puts the goal and verdict columns between the figures and the notes", () => {
    expect(renderTable(table)).toBe(
      [
        "| case | ops/s | goal |  | what |",
        "| --- | --- | --- | --- | --- |",
        "| raw | 27,289 |  |  | baseline |",
        "| ours | 18,522 | ≥ 1.2× | ✅ met | a\\|b |",
        "| slow | 9 | ≤ 120 MB | ❌ missed |  |",
      ].join("\n"),
    );
  });

  it("has no goal columns when no row has a goal, and prints noGoal where a row has none", () => {
    expect(renderTable({ head: ["a"], rows: [{ cells: ["1"] }] })).toBe("| a |\n| --- |\n| 1 |");
    const withDash = renderTable({ ...table, noGoal: "—" });
    expect(withDash.split("\n")[2]).toBe("| raw | 27,289 | — |  | baseline |");
  });
});

describe("sections, tallies and the RESULT pairs", () => {
  const sections: Section[] = [
    {
      title: "### 1. first",
      blocks: [
        "A paragraph.",
        {
          head: ["what", "value"],
          rows: [
            { cells: ["x", "1"], goal: atLeast(1.5), result: { x_ratio: "1.50" } },
            { cells: ["y", "2"], result: { y_a: "2", y_b: "3" } },
          ],
        },
      ],
    },
    {
      blocks: [{ head: ["m"], rows: [{ cells: ["130"], goal: atMost(130) }] }],
    },
  ];

  it("renders the heading, paragraphs and tables separated by blank lines", () => {
    expect(renderSection(sections[0] as Section)).toBe(
      [
        "### 1. first",
        "",
        "A paragraph.",
        "",
        "| what | value | goal |  |",
        "| --- | --- | --- | --- |",
        "| x | 1 | ≥ 1.2× | ✅ met |",
        "| y | 2 |  |  |",
      ].join("\n"),
    );
    expect(renderSection(sections[1] as Section).startsWith("| m | goal |")).toBe(true);
  });

  it("counts the goals met over every table, and names the missed ones", () => {
    const goals = goalsOf(sections);
    expect(goals.map((g) => g.name)).toEqual(["ratio", "rss"]);
    expect(tally(goals)).toBe("1/2");
    expect(tallyLine("Goals met", goals)).toBe("Goals met: 1/2 (missed: rss).");
    expect(tallyLine("Goals met", goals.slice(0, 1))).toBe("Goals met: 1/1.");
    expect(tally([])).toBe("0/0");
  });

  it("lists the rows' RESULT keys in table and row order", () => {
    expect(resultPairs(sections)).toEqual(["x_ratio=1.50", "y_a=2", "y_b=3"]);
  });
});
