/// <reference types="node" preserve="true" />
// The package's face: re-exports only.
// The reference above makes the published declarations bring Node's types (@types/node >= 20.19) along.
export {
  MaskinportenError,
  isMaskinportenError,
  type MaskinportenErrorCode,
  type MaskinportenErrorDetails,
} from './errors/errors.js'
export {
  defaultScopes,
  adminScopes,
  skdAksjonaerScope,
  skattemeldingScope,
  DEFAULT_SCOPES,
  ADMIN_SCOPES,
  SKD_AKSJONAER_SCOPE,
  SKATTEMELDING_SCOPES,
} from './config/scopes.js'
export {
  configFromEnv,
  ENVIRONMENTS,
  DEFAULT_TIMEOUT_MS,
  type MaskinportenConfig,
  type MaskinportenEnv,
  type Environment,
  type ConfigFromEnvOptions,
} from './config/config.js'
export { isValidOrgNummer } from './config/orgnummer.js'
export { isValidFodselsnummer } from './config/fodselsnummer.js'
export { generateSigningKey, publicJwk, jwkThumbprint, type GeneratedKey, type PublicJwk, type KeySource } from './signing/keys.js'
export { buildJwtGrant, GRANT_LIFETIME_SECONDS, type GrantOptions } from './signing/grant.js'
export { keyObjectSigner, DEFAULT_SIGNER_TIMEOUT_MS, type GrantSigner } from './signing/signer.js'
export { type SigningSource } from './signing/resolve.js'
export { inspectCertificate, daysLeft, CERTIFICATE_WARNING_DAYS, type CertificateInfo } from './signing/certificate.js'
export { type ConsentReference } from './signing/grant.js'
export { type TokenResponse } from './exchange/maskinporten.js'
export {
  getMaskinportenToken,
  getAltinnToken,
  getSystemuserToken,
  getAdminToken,
  getSkdAksjonaerToken,
  getSkdSkattemeldingToken,
  getConsentToken,
  type FlowOptions,
} from './flows.js'
export { decodeToken, type DecodedToken } from './exchange/token.js'
export { type ConsentDetail } from './exchange/token.js'
export { MaskinportenClient } from './client/client.js'
export {
  DEFAULT_MARGIN_MS,
  DEFAULT_REFRESH_AHEAD,
  type MaskinportenClientOptions,
  type GetTokenOptions,
  type AltinnTokenOptions,
  type ClientEvent,
  type ClientEndpoint,
} from './client/options.js'
export { MemoryTokenStore, DEFAULT_MAX_ENTRIES, type TokenStore, type StoredToken } from './client/store.js'
export { DEFAULT_STORE_TIMEOUT_MS } from './client/cache.js'
export type { TokenLease, TokenLeaseHandle } from './client/lease.js'
export { TokenResult } from './client/token-result.js'
export { DEFAULT_RETRY, type RetryOptions } from './client/retry.js'
export {
  startEmulator,
  type Emulator,
  type EmulatorOptions,
  type EmulatorClient,
  type EmulatorJwk,
  type EmulatorSystemUser,
  type EmulatorConsent,
  type EmulatorConsentRight,
  type EmulatorDelegation,
  type EmulatorFault,
  type EmulatorStats,
  type EndpointStats,
  type FaultEndpoint,
} from './emulator/index.js'
export {
  authenticatedFetch,
  AuthenticatedResponse,
  DEFAULT_MAX_BODY_BYTES,
  type AuthenticatedRequestInit,
  type AuthenticatedMethod,
  type AuthenticatedFetchDeps,
} from './client/authenticated-fetch.js'
export { type ResponseHeaders } from './http/headers.js'
export { AltinnVendorClient } from './vendor/client.js'
export { type AltinnVendorClientOptions } from './vendor/options.js'
export { systemIdFor, resourceRight } from './vendor/ids.js'
export { SYSTEM_REGISTER_WRITE, SYSTEM_USER_REQUEST_WRITE, SYSTEM_USER_REQUEST_READ } from './vendor/scopes.js'
export type { EnsureSystemResult, SystemPlan, SystemChange } from './vendor/systems.js'
export type { SystemUserRequestInput, SystemUserRequestResult, WaitOptions } from './vendor/requests.js'
export type { ChangeRequestInput, ChangeRequestResult } from './vendor/change-requests.js'
export type { ConnectInput, ConnectResult } from './vendor/connect.js'
export type {
  AccessPackage,
  ChangeRequest,
  LocalizedText,
  RegisteredSystem,
  RequestStatus,
  Right,
  SystemDefinition,
  SystemUser,
  SystemUserRequest,
} from './vendor/types.js'
export { type AltinnValidationError } from './errors/errors.js'
