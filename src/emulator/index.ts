/// <reference types="node" preserve="true" />
// Node's types for the published declarations: see src/index.ts.
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
  EmulatorSystem,
  EmulatorDecision,
  VendorStats,
} from './types.js'
