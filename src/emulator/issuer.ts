/**
 * The emulator's Maskinporten URLs under its issuer. The issuer is taken exactly as given (Skyporten's have no
 * trailing slash), so every endpoint is joined to it the way the library joins `token`: with exactly one slash
 * between (`tokenEndpointFor`).
 */
import { tokenEndpointFor } from '../config/config.js'

/** `name` (`token`, `jwk`, `errors/MP-011`, ...) under `issuer`, with exactly one slash between. */
export function underIssuer(issuer: string, name: string): string {
  // tokenEndpointFor is the library's one rule for the join; everything else under the issuer follows it.
  return `${tokenEndpointFor(issuer).slice(0, -'token'.length)}${name}`
}

/** Maskinporten's endpoints, by their path on the server's own root. */
const MASKINPORTEN_PATHS = ['token', 'jwk', '.well-known/oauth-authorization-server', '.well-known/openid-configuration']

/**
 * Where the issuer's endpoints land on this server when the issuer has a path (`http://host/sky` → `/sky/token`):
 * each such path mapped to the root path it is served as (`/token`). Empty when the issuer has no path.
 */
export function issuerPaths(issuer: string): Map<string, string> {
  const paths = new Map<string, string>()
  for (const name of MASKINPORTEN_PATHS) {
    const { pathname } = new URL(underIssuer(issuer, name))
    // An issuer with a query or fragment puts the name there, not in the path: nothing to serve.
    if (pathname !== `/${name}` && pathname.endsWith(`/${name}`)) paths.set(pathname, `/${name}`)
  }
  return paths
}
