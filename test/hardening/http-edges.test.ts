/**
 * Findings 7 and 8 of issue #9, replayed as they were found: answers outside the envelope for a
 * wrong method or OPTIONS, and a declared oversized body holding the socket until the request
 * timeout.
 */
import { createServer, type Server } from "node:http";
import { connect, type AddressInfo } from "node:net";
import express from "express";
import request from "supertest";
import { BODY_LIMIT_BYTES } from "../../src/http/body";
import { mockedGateway } from "../helpers/mocked-gateway";

const errorCode = (res: request.Response): unknown =>
  (res.body as { error?: { code?: unknown } }).error?.code;

describe("a known path asked with another method (finding 7)", () => {
  const { app } = mockedGateway();

  it.each(["put", "delete", "patch", "get"] as const)(
    "%s /auth/login answers 405 method_not_allowed with Allow",
    async (method) => {
      const res = await request(app)[method]("/auth/login").send({ email: "a@example.com" });
      expect(res.status).toBe(405);
      expect(errorCode(res)).toBe("method_not_allowed");
      expect(res.headers.allow).toBe("OPTIONS, POST");
      expect(res.headers["x-request-id"]).toEqual(expect.any(String));
    },
  );

  it("refuses the method before the body: a text body gets 405, not 415", async () => {
    const res = await request(app)
      .put("/auth/register")
      .set("Content-Type", "text/plain")
      .send("x");
    expect(res.status).toBe(405);
  });

  it.each([
    ["post", "/auth/me", "GET, HEAD, OPTIONS"],
    ["post", "/healthz", "GET, HEAD, OPTIONS"],
    ["delete", "/openapi.yaml", "GET, HEAD, OPTIONS"],
    ["put", "/auth/confirm/resend", "OPTIONS, POST"],
  ] as const)("%s %s answers 405 with Allow %s", async (method, path, allow) => {
    const res = await request(app)[method](path);
    expect([res.status, errorCode(res), res.headers.allow]).toEqual([
      405,
      "method_not_allowed",
      allow,
    ]);
  });

  it("OPTIONS without a CORS preflight answers 204 with Allow, not 200 text/plain", async () => {
    for (const path of ["/auth/login", "/auth/me", "/healthz"]) {
      const res = await request(app).options(path);
      expect([path, res.status, res.text]).toEqual([path, 204, ""]);
      expect(res.headers.allow).toMatch(/OPTIONS/);
    }
  });

  it("keeps 404 for unknown paths and the right answer for the right method", async () => {
    expect(errorCode(await request(app).put("/auth/nothing"))).toBe("not_found");
    expect((await request(app).get("/healthz")).status).toBe(200);
    expect((await request(app).head("/healthz")).status).toBe(200);
  });

  it("covers routes added to the router by others, and the router mounted in another app", async () => {
    const built = mockedGateway();
    built.gateway.router.get("/extra", (_req, res) => {
      res.json({ ok: true });
    });
    const withExtra = request(built.app);
    expect((await withExtra.get("/auth/extra")).status).toBe(200);
    const res = await withExtra.delete("/auth/extra");
    expect([res.status, res.headers.allow]).toEqual([405, "GET, HEAD, OPTIONS"]);
    const host = express();
    host.use("/accounts", built.gateway.router);
    const hosted = await request(host).patch("/accounts/login");
    expect([hosted.status, errorCode(hosted)]).toEqual([405, "method_not_allowed"]);
  });
});

describe("a declared oversized body (finding 8)", () => {
  let server: Server;
  let port = 0;

  beforeAll(async () => {
    const { app } = mockedGateway();
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  /** Sends headers declaring `length` bytes and one byte of body; answers what comes back. */
  function declare(path: string, length: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, "127.0.0.1");
      let received = "";
      socket.on("data", (chunk) => {
        received += chunk.toString("utf8");
      });
      socket.on("close", () => {
        resolve(received);
      }); // the gateway closes: it will not read on
      socket.on("error", reject);
      socket.write(
        `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${length}\r\n\r\n{`,
      );
    });
  }

  it.each(["/auth/login", "/auth/register", "/auth/nothing"])(
    "%s answers 413 payload_too_large before the body arrives, and closes",
    async (path) => {
      const answer = await declare(path, 10_000_000);
      expect(answer).toMatch(/^HTTP\/1\.1 413 /);
      expect(answer).toMatch(/connection: close/i);
      expect(answer).toContain('"code":"payload_too_large"');
    },
  );

  it("still reads a body within the limit", async () => {
    const { app } = mockedGateway();
    const res = await request(app)
      .post("/auth/login")
      .set("Content-Type", "application/json")
      .send(JSON.stringify({ email: "x".repeat(BODY_LIMIT_BYTES - 100) }));
    expect(errorCode(res)).toBe("invalid_request");
  });
});
