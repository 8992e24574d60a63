// A test PKI made at run time with the openssl command in a temporary directory: a root CA, an intermediate, and
// business certificate leaves naming organisation numbers. Nothing of it is committed.
import { execFileSync } from 'node:child_process'
import { createPrivateKey, type KeyObject } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface Issued {
  /** The certificate, PEM. */
  pem: string
  /** Its private key, PEM (PKCS#8). Secret: only in memory and the temporary directory. */
  keyPem: string
  key: KeyObject
}

export interface LeafOptions {
  /** Subject `serialNumber`. */
  serialNumber?: string
  /** Subject `organizationIdentifier` (as given: `NTRNO-…`). */
  organizationIdentifier?: string
  /** Validity in days; negative makes a certificate that has already ended. Default 365. */
  days?: number
  /** Issued by this CA (default the intermediate). */
  issuer?: Issued
  cn?: string
}

export interface TestPki {
  dir: string
  root: Issued
  intermediate: Issued
  /** A root no emulator trusts, with its own intermediate. */
  strangerRoot: Issued
  strangerIntermediate: Issued
  /** A business certificate, issued by `issuer` (default the intermediate). */
  leaf(options?: LeafOptions): Issued
  /** PEM chain text, leaf first. */
  chain(...certs: Issued[]): string
  /** Standard base64 DER of certificates (an x5c), in the order given. */
  x5c(...certs: Issued[]): string[]
  cleanup(): void
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] })
}

let serial = 0

/** Makes the PKI (a few hundred milliseconds: four RSA keys). Call `cleanup()` when done. */
export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'maskinporten-pki-'))
  const read = (name: string): Issued => {
    const keyPem = createPrivateKey(readFileSync(join(dir, `${name}.key`), 'utf8')).export({ format: 'pem', type: 'pkcs8' }) as string
    return { pem: readFileSync(join(dir, `${name}.pem`), 'utf8'), keyPem, key: createPrivateKey(keyPem) }
  }
  const ca = (name: string, subject: string, issuer?: string): Issued => {
    if (issuer === undefined) {
      openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '3650', '-subj', subject,
        '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'])
    } else {
      writeFileSync(join(dir, `${name}.ext`), 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n')
      openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject])
      openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${issuer}.pem`, '-CAkey', `${issuer}.key`, '-set_serial', String(++serial + 1000),
        '-out', `${name}.pem`, '-days', '1825', '-extfile', `${name}.ext`])
    }
    return read(name)
  }
  const root = ca('root', '/C=NO/O=Test Trust Services/CN=Test Root CA')
  const intermediate = ca('intermediate', '/C=NO/O=Test Trust Services/CN=Test Business CA', 'root')
  const strangerRoot = ca('stranger-root', '/C=NO/O=Nobody/CN=Untrusted Root CA')
  const strangerIntermediate = ca('stranger-intermediate', '/C=NO/O=Nobody/CN=Untrusted Business CA', 'stranger-root')
  const names = new Map<Issued, string>([[root, 'root'], [intermediate, 'intermediate'], [strangerRoot, 'stranger-root'], [strangerIntermediate, 'stranger-intermediate']])

  return {
    dir,
    root,
    intermediate,
    strangerRoot,
    strangerIntermediate,
    leaf(options = {}) {
      const name = `leaf-${++serial}`
      const parts = ['/C=NO/O=ACME AS']
      if (options.organizationIdentifier !== undefined) parts.push(`/organizationIdentifier=${options.organizationIdentifier}`)
      if (options.serialNumber !== undefined) parts.push(`/serialNumber=${options.serialNumber}`)
      parts.push(`/CN=${options.cn ?? 'ACME AS'}`)
      const issuer = names.get(options.issuer ?? intermediate)!
      writeFileSync(join(dir, `${name}.ext`), 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\n')
      openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', parts.join('')])
      openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${issuer}.pem`, '-CAkey', `${issuer}.key`, '-set_serial', String(serial + 5000),
        '-out', `${name}.pem`, '-days', String(options.days ?? 365), '-extfile', `${name}.ext`])
      const issued = read(name)
      names.set(issued, name)
      return issued
    },
    chain: (...certs) => certs.map((c) => c.pem).join(''),
    x5c: (...certs) =>
      certs.map((c) => c.pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '')),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  }
}
