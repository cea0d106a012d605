/** One HTTP header as Cognito's ContextData wants it. */
export interface ContextHeader {
  headerName: string;
  headerValue: string;
}

/**
 * What Cognito's threat protection learns about the caller. Built once per request by
 * `http/caller-context.ts` from an allow-list; the adapter only formats it.
 */
export interface CallerContext {
  /** Client IP as Express resolved it under the TRUST_PROXY setting. */
  ip: string;
  /** The host name the gateway was reached on. */
  serverName: string;
  /** The path of the gateway route. */
  serverPath: string;
  /** Allow-listed headers, bounded in count and length; never cookies or credentials. */
  headers: readonly ContextHeader[];
  /** Cognito advanced-security data collected by the front end's script, passed through. */
  encodedData?: string;
}

/** ContextData for the admin (IAM) calls. */
export function adminContextData(context: CallerContext) {
  return {
    IpAddress: context.ip,
    ServerName: context.serverName,
    ServerPath: context.serverPath,
    HttpHeaders: context.headers.map(({ headerName, headerValue }) => ({
      headerName,
      headerValue,
    })),
    ...(context.encodedData === undefined ? {} : { EncodedData: context.encodedData }),
  };
}

/** UserContextData for the public (client-secret) calls. */
export function userContextData(context: CallerContext) {
  return {
    IpAddress: context.ip,
    ...(context.encodedData === undefined ? {} : { EncodedData: context.encodedData }),
  };
}
