import { Writable } from "node:stream";
import { CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";
import { mockClient } from "aws-sdk-client-mock";
import { StaticKeyStore } from "../../src/auth/keys";
import { createApp, type AppOptions } from "../../src/app";
import { createGateway } from "../../src/gateway";
import { createLogger } from "../../src/logger";
import type { GatewayOptions } from "../../src/options";
import { secretHash } from "../../src/cognito/secret-hash";
import {
  CLIENT_ID,
  CLIENT_SECRET,
  ManualClock,
  POOL_ID,
  jwksOf,
  merge,
  mint,
  signingKey,
} from "./auth";

export { CLIENT_SECRET };

/** Collects every log line, to assert what was (and was not) written. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.lines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
    done();
  }
  text(): string {
    return this.lines.join("\n");
  }
}

/**
 * A full gateway app whose Cognito client is an aws-sdk-client-mock: exact Cognito inputs can be
 * asserted and every Cognito error name produced. Floors and limits are off unless overridden.
 */
export function mockedGateway(
  overrides: Partial<GatewayOptions> = {},
  appOptions: AppOptions = {},
) {
  const client = new CognitoIdentityProviderClient({
    region: "eu-west-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
  const cognito = mockClient(client);
  const logs = new LogCapture();
  const clock = new ManualClock();
  const gateway = createGateway({
    userPoolId: POOL_ID,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    cognitoClient: client,
    keys: new StaticKeyStore(jwksOf(signingKey())),
    responseFloorMs: 0,
    responseJitterMs: 0,
    rateLimit: false,
    clock,
    logger: createLogger({ level: "debug", destination: logs }),
    ...overrides,
  });
  const app = createApp(gateway, appOptions);
  return { app, cognito, gateway, logs, clock };
}

/** An error shaped like the SDK's service exceptions. */
export function cognitoError(name: string, status = 400): Error {
  return Object.assign(new Error(`${name} (test)`), {
    name,
    $fault: status >= 500 ? "server" : "client",
    $metadata: { httpStatusCode: status },
  });
}

/** A successful InitiateAuth answer carrying a valid test access token. */
export function authResult() {
  return {
    AuthenticationResult: {
      AccessToken: mint(),
      IdToken: "id.token.value",
      RefreshToken: "refresh-token-value",
      ExpiresIn: 3600,
      TokenType: "Bearer",
    },
  };
}

/**
 * The contract's token body for {@link authResult}'s tokens. An `undefined` in `overrides` drops
 * a member (a refresh answers no refresh token and no username).
 */
export function tokenAnswer(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const body = {
    accessToken: expect.any(String),
    idToken: "id.token.value",
    refreshToken: "refresh-token-value",
    expiresIn: 3600,
    tokenType: "Bearer",
    username: expect.any(String),
  };
  return merge(body, overrides);
}

/** How the gateway names the app client and `username` in a Cognito call: with its SECRET_HASH. */
export function asClient(username: string) {
  return {
    ClientId: CLIENT_ID,
    SecretHash: secretHash(username, CLIENT_ID, CLIENT_SECRET),
    Username: username,
  };
}
