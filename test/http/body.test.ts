import request from "supertest";
import { BODY_LIMIT_BYTES, jsonBody } from "../../src/http/body";
import { appWith } from "../helpers/http";

const app = appWith(jsonBody());

describe("jsonBody", () => {
  it("parses a JSON body, and lets a POST without one through as {}", async () => {
    expect((await request(app).post("/t").send({ a: 1 }).expect(200)).body).toEqual({
      body: { a: 1 },
    });
    expect((await request(app).post("/t").expect(200)).body).toEqual({ body: {} });
  });

  it("answers 415 unsupported_media_type for another media type", async () => {
    const res = await request(app)
      .post("/t")
      .set("Content-Type", "text/plain")
      .send("email=a")
      .expect(415);
    expect(res.body.error.code).toBe("unsupported_media_type");
  });

  it("answers 415 for a compressed body (never inflated)", async () => {
    const res = await request(app)
      .post("/t")
      .set("Content-Type", "application/json")
      .set("Content-Encoding", "gzip")
      .send(Buffer.from([0x1f, 0x8b, 0x08, 0x00]))
      .expect(415);
    expect(res.body.error.code).toBe("unsupported_media_type");
  });

  it("answers 400 invalid_request naming the body for malformed JSON", async () => {
    const res = await request(app)
      .post("/t")
      .set("Content-Type", "application/json")
      .send('{"a":')
      .expect(400);
    expect(res.body.error).toMatchObject({ code: "invalid_request", details: [{ field: "body" }] });
  });

  it("answers 413 payload_too_large past the limit, and closes the connection", async () => {
    const big = JSON.stringify({ a: "x".repeat(BODY_LIMIT_BYTES) });
    const res = await request(app)
      .post("/t")
      .set("Content-Type", "application/json")
      .send(big)
      .expect(413);
    expect(res.body.error.code).toBe("payload_too_large");
    expect(res.headers.connection).toBe("close");
  });
});
