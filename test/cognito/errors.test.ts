import {
  COGNITO_ERROR_KINDS,
  CognitoFailure,
  classifyCognitoError,
} from "../../src/cognito/errors";
import { cognitoError } from "../helpers/mocked-gateway";

describe("classifyCognitoError", () => {
  it.each(Object.entries(COGNITO_ERROR_KINDS))("%s is %s", (name, kind) => {
    const failure = classifyCognitoError(cognitoError(name));
    expect(failure).toBeInstanceOf(CognitoFailure);
    expect(failure.kind).toBe(kind);
    expect(failure.upstreamName).toBe(name);
  });

  it.each([
    ["a 5xx answer, even with a client-side name", cognitoError("NotAuthorizedException", 503)],
    ["an unknown error name", cognitoError("SomethingNewException")],
    ["the stock emulator's Unsupported answer", cognitoError("Unsupported", 500)],
    [
      "a refused connection",
      Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }),
    ],
    ["a reset connection", Object.assign(new Error("socket hang up"), { code: "ECONNRESET" })],
    ["an SDK timeout", Object.assign(new Error("timeout"), { name: "TimeoutError" })],
    ["an aborted call (deadline)", Object.assign(new Error("aborted"), { name: "AbortError" })],
    ["a thrown string", "boom"],
    ["null", null],
  ])("%s is upstream", (_label, error) => {
    expect(classifyCognitoError(error).kind).toBe("upstream");
  });
});
