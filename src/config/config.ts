/**
 * Configuration: the environments, validation before anything is sent, and the same environment variables that
 * Wenche (Python) and NAIS already use. This module only re-exports: each idea has its own file (environments.ts,
 * resolve-config.ts, config-from-env.ts, key-file.ts, failure-masking.ts), and this path stays the one that the rest
 * of the package and index.ts import from.
 *
 * @see https://docs.digdir.no/docs/Maskinporten/maskinporten_func_wellknown
 */
export { ENVIRONMENTS, envNamed, exchangeUrlFor, tokenEndpointFor, type Environment, type MaskinportenEnv } from './environments.js'
export { DEFAULT_TIMEOUT_MS, resolveConfig, type MaskinportenConfig, type ResolvedConfig } from './resolve-config.js'
export { DEFAULT_KEY_FILE, keyFilePath } from './key-file.js'
export { configFromEnv, type ConfigFromEnvOptions } from './config-from-env.js'
