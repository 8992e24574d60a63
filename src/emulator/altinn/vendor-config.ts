/**
 * The emulator options that fill the emulated Altinn: `systems` (registered at start, checked as the register
 * POST checks them), `resources` (the resource registry) and `parties` (the business register).
 */
import { invalidConfig } from '../../errors/errors.js'
import { parseOrgNummer } from '../../config/orgnummer.js'
import { addSystem, checkNewSystem, readDefinition, vendorOrgOf } from './systems.js'
import { BindingError } from './vendor-body.js'
import { VendorStore } from './vendor-state.js'
import type { EmulatorOptions } from '../types.js'

function stringSet(value: unknown, field: string, check: (s: string, i: number) => string): Set<string> | undefined {
  if (value === undefined) return undefined
  if (!Array.isArray(value)) throw invalidConfig(field, 'must be an array of strings')
  return new Set(
    value.map((s, i) => {
      if (typeof s !== 'string' || s.trim() === '') throw invalidConfig(`${field}[${i}]`, 'must be a non-empty string')
      return check(s.trim(), i)
    }),
  )
}

/** The store for the options; throws `invalid_config` naming the first bad entry. */
export function vendorStoreFor(options: Pick<EmulatorOptions, 'systems' | 'resources' | 'parties'>): VendorStore {
  const resources = stringSet(options.resources, 'resources', (s) => s)
  const parties = stringSet(options.parties, 'parties', (s, i) => {
    const parsed = parseOrgNummer(s)
    if (!parsed.ok) throw invalidConfig(`parties[${i}]`, parsed.problem)
    return parsed.orgNummer
  })
  const store = new VendorStore(resources, parties)
  const systems: unknown = options.systems ?? []
  if (!Array.isArray(systems)) throw invalidConfig('systems', 'must be an array of systems')
  systems.forEach((input, i) => {
    const field = `systems[${i}]`
    let def
    try {
      def = readDefinition(JSON.parse(JSON.stringify(input ?? null)))
    } catch (err) {
      if (err instanceof BindingError) throw invalidConfig(`${field}.${err.field.replace(/^\$\.?/, '')}`, 'has the wrong type')
      throw invalidConfig(field, 'must be an object')
    }
    const vendorOrg = vendorOrgOf(def.vendorId)
    if (vendorOrg === undefined) throw invalidConfig(`${field}.vendor.ID`, 'must be "0192:" and a valid organisation number')
    const errors = checkNewSystem(store, def, vendorOrg)
    if (errors.length > 0) {
      const list = errors.map((e) => `${e.code} (${e.title})`).join('; ')
      throw invalidConfig(field, `is refused by the system register: ${list}`)
    }
    addSystem(store, def, vendorOrg)
  })
  return store
}
