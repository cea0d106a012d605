/**
 * A fake Cognito endpoint on 127.0.0.1 (ephemeral port) for pointing the gateway's real AWS
 * SDK client at: instant canned answers for the bench, and faults on demand for the hardening
 * tests. AWS JSON 1.1 protocol: POST /, `x-amz-target` names the operation, an error's name in
 * `__type` and in the `x-amzn-errortype` header.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * - `normal`: operations with a canned answer (see {@link FakeCognitoOptions.accessToken}) get
 *   it; every other call is refused with 400 NotAuthorizedException (a well-formed answer:
 *   Cognito is reachable).
 * - `hang`: reads the request and never answers.
 * - `reset`: destroys the connection as soon as a request arrives.
 * - `error500`: 500 InternalErrorException.
 * - `throttle`: 400 TooManyRequestsException.
 */
export type FakeCognitoMode = "normal" | "hang" | "reset" | "error500" | "throttle";

/** Text the fake puts in every error message: it must never reach a client. */
export const UPSTREAM_DETAIL = "FAKE-UPSTREAM-DETAIL do-not-leak";

/** Options of {@link startFakeCognito}. */
export interface FakeCognitoOptions {
  /** Default `normal`; can be changed while running through {@link FakeCognito.mode}. */
  readonly mode?: FakeCognitoMode;
  /**
   * With it, SignUp, ResendConfirmationCode, InitiateAuth and AdminInitiateAuth succeed at once
   * (InitiateAuth's AccessToken and IdToken are this token). Without it, every call is refused.
   */
  readonly accessToken?: string;
}

/** A running fake. */
export interface FakeCognito {
  /** e.g. http://127.0.0.1:40123 — for GatewayOptions.endpoint. */
  readonly url: string;
  mode: FakeCognitoMode;
  /** Requests received so far. */
  readonly requests: number;
  /** Requests per operation name (e.g. "InitiateAuth"). */
  readonly calls: ReadonlyMap<string, number>;
  close(): Promise<void>;
}

const TARGET_PREFIX = "AWSCognitoIdentityProviderService.";

const ERRORS: Readonly<Record<string, { status: number; type: string }>> = {
  normal: { status: 400, type: "NotAuthorizedException" },
  error500: { status: 500, type: "InternalErrorException" },
  throttle: { status: 400, type: "TooManyRequestsException" },
};

interface Canned {
  readonly status: number;
  readonly body: Buffer;
  readonly errorType?: string;
}

/** Starts the fake; a mode alone may be given for the fault-only fake. */
export async function startFakeCognito(
  options: FakeCognitoOptions | FakeCognitoMode = {},
): Promise<FakeCognito> {
  const opts = typeof options === "string" ? { mode: options } : options;
  const state = { mode: opts.mode ?? "normal", requests: 0 };
  const answers =
    opts.accessToken === undefined ? new Map<string, Canned>() : cannedAnswers(opts.accessToken);
  const calls = new Map<string, number>();
  const server = createServer((req, res) => {
    state.requests++;
    const target = req.headers["x-amz-target"];
    const op =
      typeof target === "string" && target.startsWith(TARGET_PREFIX)
        ? target.slice(TARGET_PREFIX.length)
        : "";
    calls.set(op, (calls.get(op) ?? 0) + 1);
    answer(state.mode, answers.get(op), req, res);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${String(port)}`,
    get mode() {
      return state.mode;
    },
    set mode(next: FakeCognitoMode) {
      state.mode = next;
    },
    get requests() {
      return state.requests;
    },
    calls,
    async close() {
      server.closeAllConnections(); // hung requests included
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function answer(
  mode: FakeCognitoMode,
  canned: Canned | undefined,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  if (mode === "reset") {
    req.socket.destroy();
    return;
  }
  req.resume(); // read the body, whatever it is
  if (mode === "hang") return;
  req.on("end", () => {
    const chosen = mode === "normal" && canned !== undefined ? canned : errorAnswer(mode);
    res.writeHead(chosen.status, {
      "content-type": "application/x-amz-json-1.1",
      ...(chosen.errorType === undefined
        ? {}
        : {
            "x-amzn-errortype": `${chosen.errorType}:http://internal.amazon.com/coral/com.amazonaws.cognito.identity.idp.model/`,
          }),
      "x-amzn-requestid": "00000000-0000-4000-8000-000000000000",
      "content-length": chosen.body.length,
    });
    res.end(chosen.body);
  });
}

function errorAnswer(mode: FakeCognitoMode): Canned {
  const error = ERRORS[mode] ?? { status: 500, type: "InternalErrorException" };
  const body = { __type: error.type, message: `${UPSTREAM_DETAIL} ${error.type}` };
  return { status: error.status, body: Buffer.from(JSON.stringify(body)), errorType: error.type };
}

/** Successful answers of the operations the bench drives, by operation name. */
function cannedAnswers(accessToken: string): Map<string, Canned> {
  const ok = (body: unknown): Canned => ({ status: 200, body: Buffer.from(JSON.stringify(body)) });
  const tokens = {
    AuthenticationResult: {
      AccessToken: accessToken,
      ExpiresIn: 3600,
      IdToken: accessToken,
      RefreshToken: "eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIiwiYWxnIjoiUlNBLU9BRVAifQ.bench.refresh",
      TokenType: "Bearer",
    },
    ChallengeParameters: {},
  };
  const delivery = {
    CodeDeliveryDetails: {
      AttributeName: "email",
      DeliveryMedium: "EMAIL",
      Destination: "b***@e***",
    },
  };
  const signUp = { UserConfirmed: false, UserSub: "f0e1d2c3-4444-4444-8444-000000000001" };
  return new Map([
    ["SignUp", ok({ ...signUp, ...delivery })],
    ["ResendConfirmationCode", ok(delivery)],
    ["InitiateAuth", ok(tokens)],
    ["AdminInitiateAuth", ok(tokens)],
  ]);
}
