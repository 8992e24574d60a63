/**
 * A strict local Maskinporten + Altinn for tests, CI without internet, and the demo. Also the package subpath
 * `wenche-maskinporten/emulator`.
 */
export { startEmulator } from './server.js'
export type {
  Emulator,
  EmulatorClient,
  EmulatorDelegation,
  EmulatorFault,
  EmulatorJwk,
  EmulatorOptions,
  EmulatorStats,
  EmulatorSystemUser,
  EmulatorConsent,
  EmulatorConsentRight,
  EndpointStats,
  FaultEndpoint,
} from './types.js'
