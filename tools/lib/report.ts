/** Number formatting, and the bench reports: tables as data, rendered to markdown. */

/** Fixed decimals, or "n/a" for NaN. */
export function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "n/a";
}

/** Rounded with thousands separators, or "n/a". */
export function whole(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString("en-US") : "n/a";
}

/** A ratio as printed: "1.05×". */
export function times(value: number, digits = 2): string {
  return `${fixed(value, digits)}×`;
}

/** Milliseconds as printed: "2.43 ms". */
export function millis(value: number, digits = 2): string {
  return `${fixed(value, digits)} ms`;
}

/** A markdown table; cells are escaped for `|`. */
export function markdownTable(
  head: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const cell = (text: string) => text.replace(/\|/g, "\\|");
  const line = (cells: readonly string[]) => `| ${cells.map(cell).join(" | ")} |`;
  return [line(head), line(head.map(() => "---")), ...rows.map(line)].join("\n");
}

// ---------------------------------------------------------------------------------------------
// Report tables as data: rows with their figures, a goal per row where there is one, and the
// verdict derived from the goal. {@link renderTable} is the one place a table becomes markdown.

/** A goal on one measured figure: at least (`≥`) or at most (`≤`) a bound. */
export interface Goal {
  /** Named in the "missed: …" list. */
  readonly name: string;
  /** The measured figure the goal is on (NaN, a figure not measured, always misses). */
  readonly value: number;
  readonly op: "≥" | "≤";
  readonly bound: number;
  /** What follows the bound in the goal cell: "× open", " ms p50", " MB". */
  readonly unit: string;
  /** Decimals of the bound as printed; default: as JavaScript prints it. */
  readonly digits?: number;
  /** What precedes the comparison in the goal cell, e.g. "p99 ". */
  readonly of?: string;
}

/** One table row: its figures (formatted cells), its goal if any, notes after the verdict. */
export interface Row {
  readonly cells: readonly string[];
  readonly goal?: Goal;
  /** Cells after the goal and verdict columns (e.g. what the row measures). */
  readonly notes?: readonly string[];
  /** `RESULT` keys this row reports, in order, with their values as printed. */
  readonly result?: Readonly<Record<string, string>>;
}

/** A table: column heads of the figures, of the notes, and the rows. */
export interface Table {
  readonly head: readonly string[];
  readonly notesHead?: readonly string[];
  /** The goal cell of rows without a goal. Default "". */
  readonly noGoal?: string;
  readonly rows: readonly Row[];
}

/** A report section: a heading (if any), then paragraphs and tables in order. */
export interface Section {
  readonly title?: string;
  readonly blocks: readonly (string | Table)[];
}

/** Whether the measured figure meets its goal. */
export function met(goal: Goal): boolean {
  return goal.op === "≥" ? goal.value >= goal.bound : goal.value <= goal.bound;
}

/** The verdict cell of a goal. */
export function verdict(goal: Goal): "✅ met" | "❌ missed" {
  return met(goal) ? "✅ met" : "❌ missed";
}

/** The goal cell, e.g. "≥ 1.05× aws-jwt-verify" or "p99 ≤ 100 ms". */
export function goalText(goal: Goal): string {
  const bound = goal.digits === undefined ? String(goal.bound) : fixed(goal.bound, goal.digits);
  return `${goal.of ?? ""}${goal.op} ${bound}${goal.unit}`;
}

/**
 * The markdown of a table. The goal and verdict columns (heads "goal" and "") come after the
 * figures when any row has a goal; the notes follow them.
 */
export function renderTable(table: Table): string {
  const goals = table.rows.some((row) => row.goal !== undefined);
  const goalCells = (goal: Goal | undefined) =>
    goal === undefined ? [table.noGoal ?? "", ""] : [goalText(goal), verdict(goal)];
  return markdownTable(
    [...table.head, ...(goals ? ["goal", ""] : []), ...(table.notesHead ?? [])],
    table.rows.map((row) => [
      ...row.cells,
      ...(goals ? goalCells(row.goal) : []),
      ...(table.notesHead ?? []).map((_, i) => row.notes?.[i] ?? ""),
    ]),
  );
}

/** A section's markdown: the heading, paragraphs and tables separated by blank lines. */
export function renderSection(section: Section): string {
  const blocks = section.blocks.map((b) => (typeof b === "string" ? b : renderTable(b)));
  return [...(section.title === undefined ? [] : [section.title]), ...blocks].join("\n\n");
}

function tables(sections: readonly Section[]): Table[] {
  return sections.flatMap((s) => s.blocks.filter((b): b is Table => typeof b !== "string"));
}

/** Every goal of the sections, in order. */
export function goalsOf(sections: readonly Section[]): Goal[] {
  return tables(sections).flatMap((t) => t.rows.flatMap((r) => (r.goal ? [r.goal] : [])));
}

/** "met/all" of the goals. */
export function tally(goals: readonly Goal[]): string {
  return `${String(goals.filter(met).length)}/${String(goals.length)}`;
}

/** "Goals met: 3/4 (missed: rss)." */
export function tallyLine(label: string, goals: readonly Goal[]): string {
  const missed = goals.filter((g) => !met(g)).map((g) => g.name);
  return `${label}: ${tally(goals)}${missed.length > 0 ? ` (missed: ${missed.join(", ")})` : ""}.`;
}

/** The `key=value` pairs of the `RESULT` line the rows of the sections report, in order. */
export function resultPairs(sections: readonly Section[]): string[] {
  return tables(sections).flatMap((t) =>
    t.rows.flatMap((r) => Object.entries(r.result ?? {}).map(([k, v]) => `${k}=${v}`)),
  );
}
