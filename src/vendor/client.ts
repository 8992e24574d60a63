/**
 * `AltinnVendorClient`: Altinn's vendor API for systems and system users, on a `MaskinportenClient`'s cached
 * tokens. Every argument is checked before anything is sent, every answer's shape before it is used, and every
 * failure is a `MaskinportenError` (`altinn_api_error` with Altinn's code and a hint when Altinn said no).
 *
 * @see https://docs.altinn.studio/authentication/guides/systemauthentication-for-systemproviders/
 */
import type { MaskinportenClient } from '../client/client.js'
import { retryPolicy } from '../client/retry.js'
import type { MaskinportenConfig } from '../config/config.js'
import { invalidConfig } from '../errors/errors.js'
import * as changes from './change-requests.js'
import { connect, type ConnectInput, type ConnectResult } from './connect.js'
import * as requests from './requests.js'
import * as systems from './systems.js'
import * as users from './system-users.js'
import { resolveVendorOptions, type AltinnVendorClientOptions } from './options.js'
import { Transport } from './transport.js'
import type { AccessPackage, ChangeRequest, RegisteredSystem, Right, SystemDefinition, SystemUser, SystemUserRequest } from './types.js'
import { checkSystemId } from './validate.js'

/**
 * The system register, system user requests, change requests and system users of one vendor.
 *
 * @example
 * ```ts
 * const vendor = new AltinnVendorClient(new MaskinportenClient(configFromEnv()), { systemId: systemIdFor('991825827', 'wenche2') })
 * await vendor.ensureSystem({ id: vendor.systemId!, name: 'Wenche', rights: [resourceRight('app_brg_aarsregnskap-vanlig-202406')], clientId: [clientId] })
 * const state = await vendor.connect({ partyOrgNo: '310702641', rights: [resourceRight('app_brg_aarsregnskap-vanlig-202406')] })
 * if (state.state === 'pending') console.log('Ask the customer to open', state.request.confirmUrl)
 * ```
 */
export class AltinnVendorClient {
  /** The default system id, if one was given. */
  readonly systemId: string | undefined
  /** The Altinn platform base URL the calls go to. */
  readonly altinnUrl: string
  readonly #client: MaskinportenClient
  readonly #ownClient: boolean
  readonly #t: Transport

  /**
   * @param source a `MaskinportenClient` (its cached tokens are used; each call asks for the scope it needs), or a
   *   config (a client is made for it, and {@link close} closes it).
   */
  constructor(source: MaskinportenConfig | MaskinportenClient, options: AltinnVendorClientOptions = {}) {
    const resolved = resolveVendorOptions(source, options)
    this.#client = resolved.client
    this.#ownClient = resolved.ownClient
    this.altinnUrl = resolved.altinnUrl
    this.systemId = resolved.systemId
    this.#t = new Transport((u, init, tokenOptions) => this.#client.fetch(u, init, tokenOptions), this.altinnUrl, retryPolicy(options.retry), options.timeoutMs, options.fetch)
  }

  #system(id: string | undefined): string {
    const chosen = id ?? this.systemId
    if (chosen === undefined) throw invalidConfig('systemId', 'is not set: give it in the options of AltinnVendorClient or in the call')
    return checkSystemId(chosen).id
  }

  // System register -----------------------------------------------------------------------------------------------

  /**
   * Makes the register hold `definition`: GET, compare, then POST (new) or a PUT of the current definition with
   * the given fields laid over it (fields not given are kept: the register's PUT replaces everything).
   *
   * @example
   * ```ts
   * const { action } = await vendor.ensureSystem({ id: '991825827_wenche2', name: 'Wenche', clientId: [clientId], rights })
   * ```
   */
  async ensureSystem(definition: SystemDefinition): Promise<systems.EnsureSystemResult> {
    return systems.ensureSystem(this.#t, definition)
  }

  /**
   * What {@link ensureSystem} would do (`create`, `update` with the changed fields, `unchanged`), changing nothing.
   *
   * @example
   * ```ts
   * const { action, changes } = await vendor.planSystem(definition)
   * ```
   */
  async planSystem(definition: SystemDefinition): Promise<systems.SystemPlan> {
    return systems.planSystem(this.#t, definition)
  }

  /**
   * The system (default: the client's `systemId`), or `undefined` when the register has none by that id.
   *
   * @example
   * ```ts
   * const system = await vendor.getSystem()
   * ```
   */
  async getSystem(id?: string): Promise<RegisteredSystem | undefined> {
    return systems.getSystem(this.#t, this.#system(id))
  }

  /**
   * The vendor's systems.
   *
   * @example
   * ```ts
   * for (const s of await vendor.listSystems()) console.log(s.id)
   * ```
   */
  async listSystems(): Promise<RegisteredSystem[]> {
    return systems.listSystems(this.#t)
  }

  /**
   * Replaces the whole definition: a field left out gets its default (no rights, no client ids). Prefer
   * {@link ensureSystem}, which keeps what is not mentioned.
   *
   * @example
   * ```ts
   * await vendor.replaceSystem({ id: '991825827_wenche2', name: 'Wenche', clientId: [clientId], rights })
   * ```
   */
  async replaceSystem(definition: SystemDefinition): Promise<void> {
    return systems.replaceSystem(this.#t, systems.fullBody(definition))
  }

  /**
   * Sets the system's rights (the whole list).
   *
   * @example
   * ```ts
   * await vendor.setSystemRights([resourceRight('app_brg_aarsregnskap-vanlig-202406')])
   * ```
   */
  async setSystemRights(rights: Right[], id?: string): Promise<void> {
    return systems.setSystemRights(this.#t, this.#system(id), rights)
  }

  /**
   * Sets the system's access packages (the whole list).
   *
   * @example
   * ```ts
   * await vendor.setSystemAccessPackages([{ urn: 'urn:altinn:accesspackage:regnskapsforer-lonn' }])
   * ```
   */
  async setSystemAccessPackages(accessPackages: AccessPackage[], id?: string): Promise<void> {
    return systems.setSystemAccessPackages(this.#t, this.#system(id), accessPackages)
  }

  /**
   * Deletes a system. Refused unless `confirmBurnId` is true: the id can never be registered again.
   *
   * @example
   * ```ts
   * await vendor.deleteSystem('991825827_old', { confirmBurnId: true })
   * ```
   */
  async deleteSystem(id: string, options: { confirmBurnId?: boolean } = {}): Promise<void> {
    return systems.deleteSystem(this.#t, id, options)
  }

  // Requests -------------------------------------------------------------------------------------------------------

  /**
   * Asks a customer for a system user: `created` true for a new request (201), false when the service returned the
   * one that exists for (system, customer, externalRef) (200). Send the customer to `request.confirmUrl`. Retried
   * when Altinn is unavailable (the service makes the POST idempotent): after a retry, `created` may be false for a
   * request this call made.
   *
   * @example
   * ```ts
   * const { request } = await vendor.requestSystemUser({ partyOrgNo: '310702641', rights })
   * ```
   */
  async requestSystemUser(input: requests.SystemUserRequestInput & { systemId?: string }): Promise<requests.SystemUserRequestResult> {
    return requests.requestSystemUser(this.#t, this.#system(input?.systemId), input)
  }

  /**
   * A request by id (`AUTH-00010` when there is none).
   *
   * @example
   * ```ts
   * const { status } = await vendor.getRequest(id)
   * ```
   */
  async getRequest(id: string, options: { agent?: boolean } = {}): Promise<SystemUserRequest> {
    return requests.getRequest(this.#t, id, options)
  }

  /**
   * The request for a customer (and externalRef, default the org number), or `undefined`.
   *
   * @example
   * ```ts
   * const request = await vendor.findRequest({ partyOrgNo: '310702641' })
   * ```
   */
  async findRequest(query: { partyOrgNo: string; externalRef?: string; agent?: boolean; systemId?: string }): Promise<SystemUserRequest | undefined> {
    return requests.findRequest(this.#t, this.#system(query?.systemId), query)
  }

  /**
   * Every request of the system, across all pages.
   *
   * @example
   * ```ts
   * for await (const r of vendor.listRequests()) console.log(r.partyOrgNo, r.status)
   * ```
   */
  async *listRequests(options: { agent?: boolean; systemId?: string } = {}): AsyncGenerator<SystemUserRequest> {
    yield* requests.listRequests(this.#t, this.#system(options.systemId), options)
  }

  /**
   * Deletes a request (soft; 202). A rejected request must be deleted before the customer can be asked again.
   *
   * @example
   * ```ts
   * await vendor.deleteRequest(id)
   * ```
   */
  async deleteRequest(id: string): Promise<void> {
    return requests.deleteRequest(this.#t, id)
  }

  /**
   * Polls a request until the customer answers (its status leaves `New`). Rejects with `request_still_pending`
   * on timeout (default 15 minutes), abort, or when the request timed out at Altinn.
   *
   * @example
   * ```ts
   * const { status } = await vendor.waitForRequest(id, { intervalMs: 5000, timeoutMs: 600_000 })
   * ```
   */
  async waitForRequest(id: string, options: requests.WaitOptions = {}): Promise<SystemUserRequest> {
    return requests.waitForRequest(this.#t, id, options)
  }

  // Change requests ------------------------------------------------------------------------------------------------

  /**
   * Asks the customer to change a system user's rights. The correlation id (made when not given) is returned:
   * give it again when retrying, and the service answers with the same request.
   *
   * @example
   * ```ts
   * const { changeRequest, correlationId } = await vendor.requestChange(systemUserId, { requiredRights: [resourceRight(id)] })
   * ```
   */
  async requestChange(systemUserId: string, input: changes.ChangeRequestInput, options: { correlationId?: string } = {}): Promise<changes.ChangeRequestResult> {
    return changes.requestChange(this.#t, systemUserId, input, options)
  }

  /**
   * A change request by id.
   *
   * @example
   * ```ts
   * const { status } = await vendor.getChangeRequest(id)
   * ```
   */
  async getChangeRequest(id: string): Promise<ChangeRequest> {
    return changes.getChangeRequest(this.#t, id)
  }

  /**
   * The change request for a customer (and externalRef), or `undefined`.
   *
   * @example
   * ```ts
   * const change = await vendor.findChangeRequest({ partyOrgNo: '310702641' })
   * ```
   */
  async findChangeRequest(query: { partyOrgNo: string; externalRef?: string; systemId?: string }): Promise<ChangeRequest | undefined> {
    return changes.findChangeRequest(this.#t, this.#system(query?.systemId), query)
  }

  /**
   * Every change request of the system, across all pages.
   *
   * @example
   * ```ts
   * for await (const c of vendor.listChangeRequests()) console.log(c.id, c.status)
   * ```
   */
  async *listChangeRequests(options: { systemId?: string } = {}): AsyncGenerator<ChangeRequest> {
    yield* changes.listChangeRequests(this.#t, this.#system(options.systemId))
  }

  /**
   * Deletes a change request (202).
   *
   * @example
   * ```ts
   * await vendor.deleteChangeRequest(id)
   * ```
   */
  async deleteChangeRequest(id: string): Promise<void> {
    return changes.deleteChangeRequest(this.#t, id)
  }

  // System users ---------------------------------------------------------------------------------------------------

  /**
   * Every system user of the system, across all pages (50 each).
   *
   * @example
   * ```ts
   * for await (const user of vendor.listSystemUsers()) console.log(user.reporteeOrgNo, user.externalRef)
   * ```
   */
  async *listSystemUsers(options: { systemId?: string } = {}): AsyncGenerator<SystemUser> {
    yield* users.listSystemUsers(this.#t, this.#system(options.systemId))
  }

  /**
   * The customer's system user (for that externalRef, default the org number), or `undefined`.
   *
   * @example
   * ```ts
   * const user = await vendor.findSystemUser({ orgNo: '310702641' })
   * ```
   */
  async findSystemUser(query: { orgNo: string; externalRef?: string; systemId?: string }): Promise<SystemUser | undefined> {
    return users.findSystemUser(this.#t, this.#system(query?.systemId), query)
  }

  /**
   * An onboarding step in one call: `active` with the system user, `pending` with the request to send the customer
   * to, or `rejected` (asked again only with `retryRejected`).
   *
   * @example
   * ```ts
   * const state = await vendor.connect({ partyOrgNo: '310702641', rights })
   * ```
   */
  async connect(input: ConnectInput & { systemId?: string }): Promise<ConnectResult> {
    return connect(this.#t, this.#system(input?.systemId), input)
  }

  /** Closes the `MaskinportenClient` this client made from a config; one given to it is left open. */
  close(): void {
    if (this.#ownClient) this.#client.close()
  }

  /** Identity only: the platform and the system id. */
  toJSON(): Record<string, unknown> {
    return { altinnUrl: this.altinnUrl, systemId: this.systemId }
  }

  toString(): string {
    return `AltinnVendorClient(${this.altinnUrl}${this.systemId ? `, ${this.systemId}` : ''})`
  }
}
