/**
 * A fake Cognito endpoint on 127.0.0.1 (ephemeral port) that misbehaves on demand, for pointing
 * the gateway's real AWS SDK client at. Answers use the AWS JSON 1.1 protocol: the error name in
 * `__type` and in the `x-amzn-errortype` header.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/**
 * - `normal`: every call is refused with 400 NotAuthorizedException (a well-formed answer:
 *   Cognito is reachable).
 * - `hang`: reads the request and never answers.
 * - `reset`: destroys the connection as soon as a request arrives.
 * - `error500`: 500 InternalErrorException.
 * - `throttle`: 400 TooManyRequestsException.
 */
export type FakeCognitoMode = "normal" | "hang" | "reset" | "error500" | "throttle";

/** Text the fake puts in every error message: it must never reach a client. */
export const UPSTREAM_DETAIL = "FAKE-UPSTREAM-DETAIL do-not-leak";

export interface FakeCognito {
  /** e.g. http://127.0.0.1:40123 — for GatewayOptions.endpoint. */
  readonly url: string;
  mode: FakeCognitoMode;
  /** Requests received so far. */
  readonly requests: number;
  close(): Promise<void>;
}

const ERRORS: Readonly<Record<string, { status: number; type: string }>> = {
  normal: { status: 400, type: "NotAuthorizedException" },
  error500: { status: 500, type: "InternalErrorException" },
  throttle: { status: 400, type: "TooManyRequestsException" },
};

/** Starts the fake in `mode` (default `normal`). */
export async function startFakeCognito(mode: FakeCognitoMode = "normal"): Promise<FakeCognito> {
  const sockets = new Set<Socket>();
  let requests = 0;
  const state = { mode };
  const server = createServer((req, res) => {
    requests++;
    answer(state.mode, req, res);
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get mode() {
      return state.mode;
    },
    set mode(next: FakeCognitoMode) {
      state.mode = next;
    },
    get requests() {
      return requests;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function answer(mode: FakeCognitoMode, req: IncomingMessage, res: ServerResponse): void {
  if (mode === "reset") {
    req.socket.destroy();
    return;
  }
  req.resume(); // read the body, whatever it is
  if (mode === "hang") return;
  req.on("end", () => {
    const error = ERRORS[mode] ?? { status: 500, type: "InternalErrorException" };
    const body = JSON.stringify({
      __type: error.type,
      message: `${UPSTREAM_DETAIL} ${error.type}`,
    });
    res.writeHead(error.status, {
      "content-type": "application/x-amz-json-1.1",
      "x-amzn-errortype": `${error.type}:http://internal.amazon.com/coral/com.amazonaws.cognito.identity.idp.model/`,
      "x-amzn-requestid": "00000000-0000-0000-0000-000000000000",
      "content-length": Buffer.byteLength(body),
    });
    res.end(body);
  });
}
