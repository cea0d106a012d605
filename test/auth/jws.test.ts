import fc from "fast-check";
import {
  countTopLevelKeys,
  decodeSegment,
  MAX_TOKEN_LENGTH,
  parseJsonObject,
  splitCompactJws,
} from "../../src/auth/jws";

describe("countTopLevelKeys", () => {
  it.each([
    ["{}", 0],
    ['{"a":1}', 1],
    ['{"a":{"b":1,"c":[1,{"d":2}]},"e":"x"}', 2],
    ['{"a":"he said \\"hi\\", \\"b\\":1","b":2}', 2],
    ['{"a":"\\\\","b":"\\\\\\"","c":3}', 3],
    ['{ "a" : 1 , "a" : 2 }', 2],
    ['{"\\u0069ss":1,"iss":2}', 2],
    ['{"a":["\\"",",","{"],"b":{}}', 2],
  ])("counts %s as %i", (json, count) => {
    expect(countTopLevelKeys(json)).toBe(count);
  });

  it("matches Object.keys for any JSON object", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ unit: "binary" }), fc.jsonValue()), (object) => {
        const json = JSON.stringify(object);
        expect(countTopLevelKeys(json)).toBe(Object.keys(JSON.parse(json) as object).length);
      }),
      { numRuns: 300 },
    );
  });
});

describe("parseJsonObject", () => {
  it("returns objects only", () => {
    expect(parseJsonObject('{"a":1}')).toEqual({ a: 1 });
    for (const json of ["[]", '"a"', "1", "null", "true", "{", ""]) {
      expect(parseJsonObject(json)).toBeUndefined();
    }
  });

  it("refuses any duplicate top-level name, however it is spelled", () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ unit: "binary" }), fc.jsonValue(), { minKeys: 1 }),
        fc.nat(),
        fc.jsonValue(),
        (object, pick, value) => {
          const names = Object.keys(object);
          const name = names[pick % names.length] ?? "";
          const json = JSON.stringify(object);
          const duplicated = `${json.slice(0, -1)},${JSON.stringify(name)}:${JSON.stringify(value)}}`;
          expect(parseJsonObject(duplicated)).toBeUndefined();
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("splitCompactJws", () => {
  it("finds the dots of a well-formed token", () => {
    expect(splitCompactJws("AQ.AQ.AQ")).toEqual({ first: 2, second: 5 });
    expect(splitCompactJws("AQID.AQI.AAAA")).toEqual({ first: 4, second: 8 });
  });

  it.each([
    "",
    "a.b",
    "a.b.c.d",
    ".b.c",
    "a..c",
    "a.b.",
    "a=.b.c",
    "a+.b.c",
    "a.b.c\n",
    "aB.c.d",
    "AR.AQ.AQ",
    "AQ.AQ.AQJ",
  ])("refuses %p", (token) => {
    expect(splitCompactJws(token)).toBeUndefined();
  });

  it("refuses tokens over the length limit", () => {
    const part = "A".repeat(MAX_TOKEN_LENGTH);
    expect(splitCompactJws(`${part}.AA.AA`)).toBeUndefined();
  });

  it("decodes segments as UTF-8", () => {
    expect(decodeSegment(Buffer.from('{"é":1}').toString("base64url"))).toBe('{"é":1}');
  });
});
