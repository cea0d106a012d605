/**
 * MFA setting of the seeded pool (`LOCAL_MFA`). In a file of its own, free of cognito-local's
 * types, because the public declarations (startGateway's options) mention it.
 */
export type LocalMfa = "off" | "optional" | "on";
