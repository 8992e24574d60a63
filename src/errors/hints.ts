/**
 * What to do about an error answer: Maskinporten's MP codes and texts (docs/protocol.md §3, from Digdir's
 * troubleshooting page) and Altinn's exchange statuses, each mapped to the fix a user can make.
 *
 * @see https://docs.digdir.no/docs/Maskinporten/maskinporten_feilsoking
 */

/** What we know of a Maskinporten error answer. */
export interface MaskinportenErrorFacts {
  status: number
  oauthError?: string
  description?: string
  mpCode?: string
  /** The issuer the request went to: the hints name the self-service portal of its environment. */
  issuer?: string
}

interface HintRule {
  /** MP codes this rule is for. */
  codes?: readonly string[]
  /** Text in `error_description` this rule is for (several causes share no MP code, or share one). */
  text?: RegExp
  /** OAuth `error` this rule is for. */
  oauthError?: string
  hint: string
}

// Replaced by the portal of the issuer's environment when a hint is given.
const PORTAL = '{portal}'

/**
 * Digdir's self-service portal of the environment of `issuer`: the test portal for test.maskinporten.no (and
 * Skyporten's test), the production one for maskinporten.no; both named when the issuer is neither (an emulator,
 * a proxy).
 */
export function selfServicePortal(issuer?: string): string {
  const host = issuer !== undefined && URL.canParse(issuer) ? new URL(issuer).host : ''
  if (host === 'test.maskinporten.no' || host === 'test.sky.maskinporten.no') {
    return "Digdir's self-service portal for test (sjolvbetjening.test.samarbeid.digdir.no)"
  }
  if (host === 'maskinporten.no' || host === 'sky.maskinporten.no') {
    return "Digdir's self-service portal for production (sjolvbetjening.samarbeid.digdir.no)"
  }
  return "Digdir's self-service portal of the environment (test: sjolvbetjening.test.samarbeid.digdir.no, production: sjolvbetjening.samarbeid.digdir.no)"
}

// First match wins, by text, MP code or OAuth error: the more specific rules come first (several causes share
// one code, and some have none).
const MASKINPORTEN_HINTS: readonly HintRule[] = [
  {
    text: /Unknown key identifier \(kid\)/i,
    hint: `kid not registered for this client: upload the public JWK printed by \`maskinporten keygen\` in ${PORTAL}, and set kid to the kid it was registered with`,
  },
  {
    text: /no key identifier \(kid\) provided/i,
    hint: 'The client uses pre-registered keys: set kid to the key id registered in the portal',
  },
  {
    codes: ['MP-110'],
    text: /Invalid JWT claim aud/i,
    hint: "The grant's aud must be exactly Maskinporten's issuer: check env (test or prod) and any issuer override",
  },
  {
    codes: ['MP-121'],
    text: /Expired key/i,
    hint: `The registered key has expired (keys live one year): make a new one with \`maskinporten keygen\` and upload its public JWK in ${PORTAL}`,
  },
  {
    codes: ['MP-122'],
    text: /Does not match certificate orgno/i,
    hint: "The business certificate names another organisation than the client's owner: use the certificate of the organisation the client belongs to (doctor shows the certificate's org number)",
  },
  {
    codes: ['MP-123'],
    text: /x5c/i,
    hint: 'The x5c header must be a JSON array of base64 DER certificates',
  },
  {
    codes: ['MP-120'],
    text: /invalid certificate/i,
    hint: `The key that signed the grant is not accepted for this client: register its public JWK in ${PORTAL}, or use the key you registered`,
  },
  {
    codes: ['MP-124'],
    text: /Invalid JWT signature/i,
    hint: 'The signature does not verify: the private key does not match the public key registered under this kid, or the algorithm is not RS256/RS384/RS512',
  },
  {
    codes: ['MP-130'],
    text: /JWT is expired|Issue time is after now/i,
    hint: "Maskinporten judges iat and exp by its own clock (±10 s): synchronise this machine's clock (NTP)",
  },
  {
    codes: ['MP-100'],
    // The unknown-client text is the bare prefix that the other authentication failures extend.
    text: /^Invalid assertion\. Client authentication failed\.?\s*(\(trace_id: \w+\))?$/i,
    hint: 'Maskinporten does not know this client id here: check clientId, and that env (test or prod) is where the client was made',
  },
  {
    codes: ['MP-012'],
    hint: 'A grant can be used once: sign a new grant for every token request',
  },
  {
    codes: ['MP-011'],
    hint: 'The grant holds a claim or value Maskinporten does not accept (it rejects claims not in its documentation)',
  },
  {
    codes: ['MP-201'],
    hint: 'These scopes are for ID-porten user login and cannot be had through Maskinporten',
  },
  {
    codes: ['MP-250'],
    text: /has not been granted access to the scope/i,
    hint: 'The API owner has not given your organisation this scope yet: ask them (the scope is on your client, but not granted to your organisation)',
  },
  {
    text: /consent/i,
    hint: 'Altinn has no valid consent for this grant: check the consent id and who gave it (from), that it was given to your organisation (or, with consumer_org, to that customer), and that it has not passed its validTo; ask for a new consent if it has',
  },
  {
    codes: ['MP-200'],
    oauthError: 'invalid_scope',
    hint: `The scope is not granted to this client: add it to the client in ${PORTAL} (the API owner must have given your organisation access)`,
  },
  {
    codes: ['MP-251'],
    oauthError: 'forbidden',
    hint: 'No delegation: the customer (consumer_org) must delegate the scope to your organisation in Altinn first',
  },
  {
    codes: ['MP-303'],
    oauthError: 'invalid_altinn_customer_configuration',
    hint: 'No approved system user for this customer and vendor system: the customer must approve the system user request in Altinn (and externalRef must match the one it was made with)',
  },
  {
    codes: ['MP-301', 'MP-302'],
    text: /authorization details/i,
    hint: 'The authorization_details claim is not in the form Maskinporten takes (urn:altinn:systemuser with systemuser_org and an externalRef of 1-255 A-Z a-z 0-9 æøå _ -, or urn:altinn:consent with id and from)',
  },
  {
    text: /Client authentication failed/i,
    hint: 'Maskinporten could not authenticate the client: check clientId and env',
  },
]

/** The fix for a Maskinporten error answer, when we know one. */
export function maskinportenHint(facts: MaskinportenErrorFacts): string | undefined {
  const { status, oauthError, description = '', mpCode } = facts
  const rule = MASKINPORTEN_HINTS.find(
    (r) =>
      r.text?.test(description) ||
      (mpCode !== undefined && r.codes?.includes(mpCode)) ||
      (oauthError !== undefined && r.oauthError === oauthError),
  )
  if (rule) return rule.hint.replaceAll(PORTAL, selfServicePortal(facts.issuer))
  if (status === 429) return 'Rate limited: wait and try again, and cache tokens (MaskinportenClient does)'
  if (status >= 500) return 'Maskinporten is unavailable right now; try again shortly'
  if (status === 404 || status === 405) return 'This is not a Maskinporten token endpoint: check issuer'
  if (status >= 300 && status < 400) return 'The token endpoint redirects: check issuer (https, exact host)'
  return undefined
}

/** The fix for an Altinn exchange error answer, when we know one. */
export function altinnHint(status: number, body: string): string | undefined {
  if (status === 401) {
    return 'Altinn did not accept the Maskinporten token: use the same environment for both (test ↔ tt02, prod ↔ platform.altinn.no) and a fresh token'
  }
  if (status === 403) return 'Altinn refused the exchange: check the scopes and that the organisation may use them'
  if (status === 410) return 'Enterprise users are gone from Altinn 3: use a system user (orgNummer) instead'
  if (status === 400 && /token provider/i.test(body)) return 'The exchange URL names an unknown token provider: check altinnUrl'
  if (status === 404 || status === 405) return 'This is not Altinn\'s token exchange: check altinnUrl'
  if (status === 429) return 'Rate limited: wait and try again, and cache Altinn tokens (they live 30 minutes)'
  if (status >= 500) return 'Altinn is unavailable right now; try again shortly'
  return undefined
}

/** What we know of an error answer from Altinn's vendor API (docs/vendor-api.md §0–§4). */
export interface AltinnApiErrorFacts {
  status: number
  /** `AUTH-00004`, `STD-00000`. */
  altinnCode?: string
  /** The codes of a validation problem's entries (`AUTH.VLD-00002`). */
  validationCodes?: readonly string[]
  /** A plain-text body, when the answer had one. */
  text?: string
  /** The scope the call was made with (named when the answer is a bare 403). */
  scope?: string
}

// docs/vendor-api.md §1–§3: each code the service answers, and what the caller can do about it.
const ALTINN_CODE_HINTS: Readonly<Record<string, string>> = {
  'AUTH-00000': 'the customer (partyOrgNo) is not in the business register (Enhetsregisteret): check the org number',
  'AUTH-00001': 'a right asked for is not among the system\'s rights (or neither rights nor access packages were given): add it to the system first (setSystemRights, or `maskinporten system register --right`)',
  'AUTH-00004': 'this customer already has a system user for this system and externalRef: use findSystemUser (`maskinporten systemuser find`), or give another externalRef',
  'AUTH-00010': 'no such request: check the id (a deleted request is gone), or look it up with findRequest',
  'AUTH-00011': 'the system is unknown or not yours: check the system id, or register it with ensureSystem (`maskinporten system register`)',
  'AUTH-00013': 'the request has been answered already (only a New request can be approved or rejected): read its status with getRequest',
  'AUTH-00015': 'no such system user for your system (or it is an agent system user, which takes no change requests): check the system user id with findSystemUser',
  'AUTH-00021': 'the redirectUrl is not among the system\'s allowedRedirectUrls: add it to the system, or leave redirectUrl out',
  'AUTH-00023': 'the token names no vendor organisation: use a Maskinporten token of your own client (getAdminToken), not an exchanged Altinn token',
  'AUTH-00026': 'the system has no allowedRedirectUrls, so no redirectUrl can be given: register one on the system, or leave redirectUrl out',
  'AUTH-00058': 'an agent request needs accessPackages',
  'AUTH-00059': 'give rights or accessPackages: a request with neither asks for nothing',
  'AUTH-00065': 'an access package asked for cannot be delegated to clients: use a package meant for client delegation',
}

const VALIDATION_HINTS: Readonly<Record<string, string>> = {
  'AUTH.VLD-00000': 'vendor.ID must be "0192:" followed by your org number',
  'AUTH.VLD-00001': 'the system id must be "<vendor org number>_<name>": make it with systemIdFor',
  'AUTH.VLD-00002': 'the system id is taken; ids of deleted systems can never be used again: choose another name, or update the existing system (ensureSystem)',
  'AUTH.VLD-00003': 'a right names a resource the resource registry does not know: check the resource id',
  'AUTH.VLD-00004': 'a clientId is already on another of the live systems: remove it there first (a client id belongs to one system)',
  'AUTH.VLD-00005': 'every allowedRedirectUrl must be an absolute https URL',
  'AUTH.VLD-00006': 'a right is listed twice',
  'AUTH.VLD-00007': 'an access package is listed twice',
  'AUTH.VLD-00008': 'an access package is unknown or cannot be delegated',
  'AUTH.VLD-00009': 'a right\'s resource id must be "urn:altinn:resource": make rights with resourceRight',
  'AUTH.VLD-00012': 'the id in the body differs from the id in the path',
  'AUTH.VLD-00013': 'the system id must not hold spaces',
}

/** The fix for an error answer from Altinn's vendor API, when we know one. */
export function altinnApiHint(facts: AltinnApiErrorFacts): string | undefined {
  const { status, altinnCode, validationCodes = [], text = '', scope } = facts
  if (altinnCode !== undefined && Object.hasOwn(ALTINN_CODE_HINTS, altinnCode)) return `Altinn says ${ALTINN_CODE_HINTS[altinnCode]}`
  const known = validationCodes.filter((code) => Object.hasOwn(VALIDATION_HINTS, code)).map((code) => VALIDATION_HINTS[code])
  if (known.length > 0) return `Fix the definition: ${[...new Set(known)].join('; ')}`
  if (/marked as deleted/i.test(text)) return 'The system was deleted and its id can never be used again: register the system under another name'
  if (/correlation/i.test(text)) return 'A change request needs a correlation id (a UUID other than the system user id)'
  if (status === 403 && altinnCode === undefined) {
    const need = scope ? `the scope ${scope}` : 'the scope this call needs'
    return `Refused: the token lacks ${need} (add it to the client in Digdir's self-service portal), or the system belongs to another vendor`
  }
  if (status === 401) return 'Altinn did not accept the token: it must be a Maskinporten token from the same environment (test ↔ tt02), issued to your own organisation'
  if (status === 404) return 'Not found: check the id, and that the system belongs to your organisation'
  if (status === 429) return 'Rate limited: wait and try again'
  if (status >= 500) return 'Altinn is unavailable right now; try again shortly'
  return undefined
}
