import express from "express";
import request from "supertest";
import type { CallerContext } from "../../src/cognito/context";
import {
  ENCODED_DATA_HEADER,
  MAX_CONTEXT_HEADER_LENGTH,
  MAX_CONTEXT_HEADERS,
  MAX_ENCODED_DATA_LENGTH,
  createCallerContextReader,
} from "../../src/http/caller-context";

/** Answers the context the reader builds for each request. */
function contextOf(allow: readonly string[]) {
  const read = createCallerContextReader(allow);
  const app = express();
  app.get("/ctx", (req, res) => res.json(read(req)));
  return (headers: Record<string, string>) => {
    let call = request(app).get("/ctx?secret=x");
    for (const [name, value] of Object.entries(headers)) call = call.set(name, value);
    return call.then((res) => res.body as CallerContext);
  };
}

describe("createCallerContextReader", () => {
  it("forwards only allow-listed headers, names lower-cased, and the path without its query", async () => {
    const ctx = await contextOf(["user-agent", "accept-language"])({
      "User-Agent": "test-agent",
      "Accept-Language": "fr",
      Cookie: "session=secret",
      Authorization: "Bearer secret",
    });
    expect(ctx.headers).toEqual([
      { headerName: "user-agent", headerValue: "test-agent" },
      { headerName: "accept-language", headerValue: "fr" },
    ]);
    expect(ctx.serverPath).toBe("/ctx");
    expect(ctx.ip).toMatch(/127\.0\.0\.1|::1/);
    expect(ctx.encodedData).toBeUndefined();
  });

  it("bounds the number and length of forwarded headers", async () => {
    const many = Object.fromEntries(
      Array.from({ length: MAX_CONTEXT_HEADERS + 5 }, (_, i) => [`x-h${String(i)}`, "v"]),
    );
    const allow = Object.keys(many);
    const ctx = await contextOf(allow)(many);
    expect(ctx.headers).toHaveLength(MAX_CONTEXT_HEADERS);
    const long = await contextOf(["user-agent"])({ "user-agent": "a".repeat(5000) });
    expect(long.headers[0]?.headerValue).toHaveLength(MAX_CONTEXT_HEADER_LENGTH);
  });

  it("passes the advanced-security data only within its bound", async () => {
    const read = contextOf([]);
    expect((await read({ [ENCODED_DATA_HEADER]: "abc" })).encodedData).toBe("abc");
    const tooLong = "a".repeat(MAX_ENCODED_DATA_LENGTH + 1);
    expect((await read({ [ENCODED_DATA_HEADER]: tooLong })).encodedData).toBeUndefined();
  });
});
