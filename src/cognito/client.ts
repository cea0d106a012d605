import { CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";

export interface CognitoClientSettings {
  region: string;
  /** Custom endpoint (the embedded emulator, or a test fake). Default: the AWS endpoint. */
  endpoint?: string;
  /** Per-attempt timeout for connect and for the answer, in ms. */
  timeoutMs: number;
  /** SDK attempts, first one included. */
  maxAttempts: number;
  /** Static credentials (the emulator); default: the AWS SDK credential chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** An SDK client with explicit timeouts and retries, so a hung Cognito cannot hang a request. */
export function createCognitoClient(
  settings: CognitoClientSettings,
): CognitoIdentityProviderClient {
  return new CognitoIdentityProviderClient({
    region: settings.region,
    maxAttempts: settings.maxAttempts,
    requestHandler: {
      connectionTimeout: settings.timeoutMs,
      requestTimeout: settings.timeoutMs,
      // Without this the SDK only prints a console warning and keeps waiting on a hung answer.
      throwOnRequestTimeout: true,
    },
    ...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint }),
    ...(settings.credentials === undefined ? {} : { credentials: settings.credentials }),
  });
}
