/**
 * What the adapter tells Cognito's threat protection: the admin calls' ContextData carries the
 * caller's IP, server name and path and the allow-listed headers; the public calls'
 * UserContextData only the IP; both pass the front end's encoded data through when there is some.
 */
import { adminContextData, userContextData, type CallerContext } from "../../src/cognito/context";

const CONTEXT: CallerContext = {
  ip: "203.0.113.9",
  serverName: "auth.example.com",
  serverPath: "/auth/login",
  headers: [
    { headerName: "user-agent", headerValue: "Mozilla/5.0" },
    { headerName: "accept-language", headerValue: "en" },
  ],
};

describe("adminContextData", () => {
  it("carries IP, server name and path, and each header as Cognito names it", () => {
    expect(adminContextData(CONTEXT)).toEqual({
      IpAddress: "203.0.113.9",
      ServerName: "auth.example.com",
      ServerPath: "/auth/login",
      HttpHeaders: [
        { headerName: "user-agent", headerValue: "Mozilla/5.0" },
        { headerName: "accept-language", headerValue: "en" },
      ],
    });
  });

  it("passes the encoded data through, and copies the headers", () => {
    const data = adminContextData({ ...CONTEXT, encodedData: "encoded" });
    expect(data.EncodedData).toBe("encoded");
    expect(data.HttpHeaders[0]).not.toBe(CONTEXT.headers[0]);
  });
});

describe("userContextData", () => {
  it("carries the IP only, plus the encoded data when there is some", () => {
    expect(userContextData(CONTEXT)).toEqual({ IpAddress: "203.0.113.9" });
    expect(userContextData({ ...CONTEXT, encodedData: "encoded" })).toEqual({
      IpAddress: "203.0.113.9",
      EncodedData: "encoded",
    });
  });
});
