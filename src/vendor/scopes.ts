/**
 * The three scopes of Altinn's vendor API, and which route takes which (docs/vendor-api.md §0). Each call asks for
 * the one it needs, so that a client granted only some of them can still make the calls those allow.
 */

/** The system register, and listing system users (`.admin` would also do). */
export const SYSTEM_REGISTER_WRITE = 'altinn:authentication/systemregister.write'
/** Creating and deleting system user requests and change requests; finding a system user by query (a GET). */
export const SYSTEM_USER_REQUEST_WRITE = 'altinn:authentication/systemuser.request.write'
/** Reading system user requests and change requests. */
export const SYSTEM_USER_REQUEST_READ = 'altinn:authentication/systemuser.request.read'
