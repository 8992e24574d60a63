import { test } from 'node:test'
import assert from 'node:assert/strict'
import { adminScopes, defaultScopes, skattemeldingScope, skdAksjonaerScope, splitScopes } from '../../src/config/scopes.js'

test('scope functions return exactly the strings of docs/protocol.md §7', () => {
  assert.equal(defaultScopes(), 'altinn:instances.read altinn:instances.write')
  assert.equal(
    adminScopes(),
    'altinn:authentication/systemregister.write altinn:authentication/systemuser.request.read altinn:authentication/systemuser.request.write',
  )
  assert.equal(skdAksjonaerScope(), 'skatteetaten:innrapporteringaksjonaerregisteroppgave')
  assert.equal(skattemeldingScope(), 'skatteetaten:formueinntekt/skattemelding altinn:instances.read altinn:instances.write')
})

test('splitScopes: trims, drops empties and duplicates, keeps order', () => {
  assert.deepEqual(splitScopes('  b a\tb \n c '), ['b', 'a', 'c'])
  assert.deepEqual(splitScopes(['a b', 'c', 'a']), ['a', 'b', 'c'])
  assert.deepEqual(splitScopes(''), [])
})
