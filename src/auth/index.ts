/** Token verification: pinned keys, revocation, the verifier and the Express middleware. */
export {
  EMULATOR_KID,
  FileKeyStore,
  loadJwks,
  MAX_KID_LENGTH,
  MIN_RSA_MODULUS_BITS,
  StaticKeyStore,
  type KeyStore,
} from "./keys";
export {
  MemoryRevocationStore,
  type MemoryRevocationStoreOptions,
  parseRevocationEntry,
  type RevocationEntry,
  type RevocationStore,
  type RevocationSubject,
} from "./revocation";
export { MAX_TOKEN_LENGTH } from "./jws";
export {
  createVerifier,
  type CognitoClaims,
  type TokenVerifier,
  type VerifyOutcome,
} from "./verifier";
export {
  DEFAULT_CACHE_MAX_BYTES,
  DEFAULT_CACHE_MAX_ENTRIES,
  DEFAULT_CLOCK_SKEW_SECONDS,
  MAX_CLOCK_SKEW_SECONDS,
  type ResolvedVerifierConfig,
  type VerifierCacheOptions,
  type VerifierOptions,
} from "./verifier-options";
export type { TokenCacheStats } from "./token-cache";
export {
  bearerToken,
  MAX_AUTHORIZATION_LENGTH,
  requireAuth,
  type RequireAuthOptions,
} from "./require-auth";
