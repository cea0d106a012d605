import { fixed, markdownTable, whole } from "../../tools/lib/report";

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
