import { cycler, roundOrder } from "../../tools/lib/load";

describe("cycler", () => {
  it("cycles through the items in order, from the start again", () => {
    const next = cycler(["a", "b", "c"]);
    expect(Array.from({ length: 7 }, next)).toEqual(["a", "b", "c", "a", "b", "c", "a"]);
  });

  it("refuses an empty list", () => {
    expect(() => cycler([])).toThrow(RangeError);
  });
});

describe("roundOrder", () => {
  it("rotates by one each round and reverses every other round", () => {
    expect([0, 1, 2, 3].map((round) => roundOrder(3, round))).toEqual([
      [0, 1, 2],
      [0, 2, 1],
      [2, 0, 1],
      [2, 1, 0],
    ]);
  });

  it("runs every variant once per round, and no variant always after the same one", () => {
    const rounds = Array.from({ length: 6 }, (_, round) => roundOrder(4, round));
    for (const order of rounds) expect([...order].sort()).toEqual([0, 1, 2, 3]);
    const predecessors = new Set(rounds.map((order) => order[order.indexOf(2) - 1]));
    expect(predecessors.size).toBeGreaterThan(1);
  });
});
