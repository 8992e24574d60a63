/**
 * The doctor's system check: when a system id is configured (`--system`, `ALTINN_SYSTEM_ID`), the system must be
 * in the register and its `clientId` list must hold this client. A client missing there is the first cause of
 * MP-303 on system user tokens: Maskinporten issues them only to the system's clients (docs/vendor-api.md §2).
 */
import { MaskinportenClient } from '../client/client.js'
import type { MaskinportenConfig } from '../config/config.js'
import { describeValue } from '../errors/errors.js'
import { AltinnVendorClient } from '../vendor/client.js'
import { checkSystemId } from '../vendor/validate.js'
import { message, type Report } from './doctor-report.js'
import { describeSource, setting, type Settings } from './settings.js'

/** The system id the doctor checks: `--system`, else `ALTINN_SYSTEM_ID`; undefined when neither is set. */
export function doctorSystemId(flag: string | undefined, settings: Settings): { id: string; from: string } | undefined {
  if (flag !== undefined) return { id: flag, from: '--system' }
  const env = setting(settings, 'ALTINN_SYSTEM_ID')
  return env === undefined ? undefined : { id: env, from: describeSource(settings, 'ALTINN_SYSTEM_ID') }
}

/** Reads the system and checks its client ids; one report line. */
export async function checkSystem(report: Report, config: MaskinportenConfig | undefined, system: { id: string; from: string }, settings?: Settings): Promise<void> {
  const label = 'system'
  let vendorOrgNo: string
  try {
    vendorOrgNo = checkSystemId(system.id, system.from).vendorOrgNo
  } catch (err) {
    report.fail(label, message(err))
    return
  }
  // ORG_NUMMER names the vendor for `--name`, the customer for tokens: said here when the two are mixed up.
  if (settings && setting(settings, 'ORG_NUMMER') === vendorOrgNo) {
    report.skip('ORG_NUMMER', `is ${vendorOrgNo}, the system's vendor (you): the token check used it as the customer; give a customer with --org to check a system user token`)
  }
  if (config === undefined) {
    report.skip(label, 'skipped: fix the checks above first')
    return
  }
  const mp = new MaskinportenClient(config, { retry: { maxAttempts: 1 } })
  try {
    const found = await new AltinnVendorClient(mp, { systemId: system.id, retry: { maxAttempts: 1 } }).getSystem()
    if (found === undefined) {
      report.fail(label, `${system.id} (${system.from}) is not in the system register at ${mp.altinnUrl}: register it with \`maskinporten system register --system ${system.id} --right RESOURCE\``)
    } else if (found.isDeleted) {
      report.fail(label, `${system.id} was deleted; its id can never be used again: register the system under another name`)
    } else if (!found.clientId.includes(config.clientId)) {
      report.fail(
        label,
        `${system.id}'s clientId list (${found.clientId.map((c) => describeValue(c)).join(', ') || 'empty'}) does not hold MASKINPORTEN_CLIENT_ID ${describeValue(config.clientId)}: system user tokens will fail with MP-303. Add it with \`maskinporten system register --system ${system.id}\``,
      )
    } else {
      report.ok(label, `${system.id} is registered and its clientId list holds ${describeValue(config.clientId)}`)
    }
  } catch (err) {
    report.fail(label, message(err))
  } finally {
    mp.close()
  }
}
