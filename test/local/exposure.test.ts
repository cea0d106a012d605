/**
 * Findings 4, 5 and 6 of issue #9, replayed against a real local-mode gateway: a web page talking
 * to the emulator directly, DNS rebinding through the `Host` header, and the code endpoint
 * reached through a same-machine proxy. Plus `ALLOWED_HOSTS` outside local mode.
 */
import { request as httpRequest } from "node:http";
import {
  CognitoIdentityProviderClient,
  DescribeUserPoolClientCommand,
  ListUsersCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import request from "supertest";
import { createApp } from "../../src/app";
import { useTestGateway } from "../helpers/gateway";
import { mockedGateway } from "../helpers/mocked-gateway";

const PASSWORD = "Exposure-Pw1!";

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request with whatever headers an attacker chooses (`Host` included, which fetch forbids). */
function raw(url: string, path: string, headers: Record<string, string>, body?: string) {
  return new Promise<Raw>((resolve, reject) => {
    const target = new URL(path, url);
    const req = httpRequest(
      target,
      { method: body === undefined ? "GET" : "POST", headers, agent: false },
      (res) => {
        let text = "";
        res.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
        res.on("end", () => {
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text });
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

describe("local mode exposure", () => {
  const gateway = useTestGateway({ ALLOWED_HOSTS: "dev.example.test" });
  const email = `exposure+${Date.now()}@example.com`;

  beforeAll(async () => {
    await request(gateway.url).post("/auth/register").send({ email, password: PASSWORD });
  });

  const emulator = () => gateway.running.local!;

  describe("the emulator answers the gateway only (finding 4)", () => {
    const target = "AWSCognitoIdentityProviderService.ListUsers";

    it("refuses a web page's request (Origin), preflight included, without CORS headers", async () => {
      const body = JSON.stringify({ UserPoolId: emulator().userPoolId });
      const headers = {
        Origin: "https://evil.example",
        "Content-Type": "text/plain",
        "X-Amz-Target": target,
      };
      const listing = await raw(emulator().origin, "/", headers, body);
      expect(listing.status).toBe(403);
      expect(listing.body).not.toContain(email);
      expect(listing.headers["access-control-allow-origin"]).toBeUndefined();
    });

    it("refuses an unsigned API call (list users, read the client secret)", async () => {
      const body = JSON.stringify({ UserPoolId: emulator().userPoolId });
      const headers = { "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target };
      const listing = await raw(emulator().origin, "/", headers, body);
      expect(listing.status).toBe(403);
      expect(listing.body).not.toContain(email);
    });

    it("refuses the SDK without the run's endpoint key, and answers it with the key", async () => {
      const client = (endpoint: string) =>
        new CognitoIdentityProviderClient({
          endpoint,
          region: emulator().region,
          credentials: { accessKeyId: "local", secretAccessKey: "local" },
          maxAttempts: 1,
        });
      const describe = new DescribeUserPoolClientCommand({
        UserPoolId: emulator().userPoolId,
        ClientId: emulator().clientId,
      });
      const guessed = client(emulator().origin);
      await expect(guessed.send(describe)).rejects.toMatchObject({
        name: "UnrecognizedClientException",
      });
      const wrongKey = client(`${emulator().origin}/${"0".repeat(64)}`);
      await expect(wrongKey.send(describe)).rejects.toMatchObject({
        name: "UnrecognizedClientException",
      });
      const own = client(emulator().endpoint);
      const users = await own.send(new ListUsersCommand({ UserPoolId: emulator().userPoolId }));
      expect(JSON.stringify(users.Users)).toContain(email);
      for (const sdk of [guessed, wrongKey, own]) sdk.destroy();
    });

    it("still serves the public discovery document and keys unsigned", async () => {
      const jwks = await raw(
        emulator().origin,
        `/${emulator().userPoolId}/.well-known/jwks.json`,
        {},
      );
      expect(jwks.status).toBe(200);
    });
  });

  describe("DNS rebinding: the Host header (finding 5)", () => {
    it.each(["/_local/confirmation-code?email=" + "x", "/", "/auth/me", "/openapi.yaml"])(
      "refuses Host attacker-rebind.example:4100 on %s",
      async (path) => {
        const res = await raw(gateway.url, path.replace("x", encodeURIComponent(email)), {
          Host: "attacker-rebind.example:4100",
        });
        expect(res.status).toBe(400);
        expect(JSON.parse(res.body)).toMatchObject({ error: { code: "invalid_request" } });
        expect(res.body).not.toMatch(/"code":"\d{6}"/);
      },
    );

    it.each(["localhost:4100", "127.0.0.1", "[::1]:3000", "LOCALHOST", "dev.example.test:8080"])(
      "answers Host %s",
      async (host) => {
        const res = await raw(gateway.url, "/openapi.yaml", { Host: host });
        expect(res.status).toBe(200);
      },
    );

    it("keeps the probes answering whatever the Host", async () => {
      const res = await raw(gateway.url, "/healthz", { Host: "10.0.0.7:3000" });
      expect(res.status).toBe(200);
    });
  });

  describe("the code endpoint refuses relayed requests (finding 6)", () => {
    const codePath = () => `/_local/confirmation-code?email=${encodeURIComponent(email)}`;

    it("answers a direct local caller", async () => {
      const res = await raw(gateway.url, codePath(), {});
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toEqual({ email, code: gateway.latestCode(email) });
    });

    it.each([
      ["X-Forwarded-For", "203.0.113.9"],
      ["Forwarded", "for=203.0.113.9"],
      ["Via", "1.1 tunnel"],
      ["X-Real-IP", "203.0.113.9"],
    ])("answers 404 when %s says a proxy relayed it", async (name, value) => {
      const res = await raw(gateway.url, codePath(), { [name]: value });
      expect(res.status).toBe(404);
      expect(res.body).not.toMatch(/"code":"\d{6}"/);
    });

    it("answers 404 to a configured, non-loopback Host too", async () => {
      const res = await raw(gateway.url, codePath(), { Host: "dev.example.test" });
      expect(res.status).toBe(404);
    });

    it("guards every /_local route, including ones added later", async () => {
      const res = await raw(gateway.url, "/_local/anything-new", { Via: "1.1 tunnel" });
      expect(res.status).toBe(404);
    });
  });
});

describe("ALLOWED_HOSTS outside local mode", () => {
  const { gateway } = mockedGateway();
  const app = createApp(gateway, {
    hosts: { allowedHosts: ["api.example.com", "*.example.org"], local: false },
  });

  it.each([
    ["api.example.com", 401],
    ["api.example.com:8443", 401],
    ["a.b.example.org", 401],
    ["example.org", 400],
    ["api.example.com.evil.test", 400],
    ["localhost", 400],
  ])("Host %s answers %d", async (host, status) => {
    const res = await request(app).get("/auth/me").set("Host", host);
    expect(res.status).toBe(status);
  });

  it("answers any Host when none is configured", async () => {
    const open = createApp(gateway);
    expect((await request(open).get("/auth/me").set("Host", "anything.test")).status).toBe(401);
  });
});
