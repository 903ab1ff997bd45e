import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { propsOf } from '../src/services/cloudformation/providers/props.js';

const failure = (message: string) => ({ message: `Properties validation failed for resource Web with message: ${message}` });

describe('PropsReader: template properties read by type, with CloudFormation validation errors', () => {
  it('takes what CloudFormation accepts for each type', () => {
    const p = propsOf(
      {
        Name: 'web',
        Port: '8080',
        Weight: 2.5,
        Public: 'TRUE',
        Private: false,
        Count: 3,
        Zones: ['a', 1],
        Gids: ['10', 20],
        Policy: { Version: '2012-10-17' },
        Tags: [{ Key: 'k' }],
        Nested: { Inner: { Flag: 'false' } },
        Gone: null,
      },
      'Web',
    );
    assert.equal(p.str('Name'), 'web');
    assert.equal(p.str('Count'), '3');
    assert.equal(p.num('Port'), 8080);
    assert.equal(p.num('Weight'), 2.5);
    assert.equal(p.bool('Public'), true);
    assert.equal(p.bool('Private'), false);
    assert.deepEqual(p.strList('Zones'), ['a', '1']);
    assert.deepEqual(p.numList('Gids'), [10, 20]);
    assert.equal(p.json('Policy'), '{"Version":"2012-10-17"}');
    assert.deepEqual(p.tags(), [{ Key: 'k', Value: '' }]);
    assert.equal(p.obj('Nested')?.obj('Inner')?.bool('Flag'), false);
    assert.equal(p.str('Missing'), undefined);
    assert.equal(p.has('Gone'), false);
    assert.deepEqual(p.keys().sort(), [
      'Count',
      'Gids',
      'Name',
      'Nested',
      'Policy',
      'Port',
      'Private',
      'Public',
      'Tags',
      'Weight',
      'Zones',
    ]);
  });

  it('fails a value of the wrong type with its path and JSON types', () => {
    const p = propsOf(
      { Name: { Ref: 'x' }, Port: 'eighty', Public: 'yes', Zones: 'a', Rules: [{ Port: [] }, 'x'], Nested: { Inner: [1] } },
      'Web',
    );
    assert.throws(() => p.str('Name'), failure('#/Name: expected type: String, found: JSONObject'));
    assert.throws(() => p.num('Port'), failure('#/Port: expected type: Number, found: String'));
    assert.throws(() => p.bool('Public'), failure('#/Public: expected type: Boolean, found: String'));
    assert.throws(() => p.strList('Zones'), failure('#/Zones: expected type: JSONArray, found: String'));
    assert.throws(() => p.objList('Rules'), failure('#/Rules/1: expected type: JSONObject, found: String'));
    assert.throws(() => p.objList('Rules')?.[0], failure('#/Rules/1: expected type: JSONObject, found: String'));
    assert.throws(() => p.obj('Nested')?.obj('Inner'), failure('#/Nested/Inner: expected type: JSONObject, found: JSONArray'));
    assert.throws(
      () =>
        propsOf({ L: [{ P: [] }] }, 'Web')
          .objList('L')?.[0]
          .num('P'),
      failure('#/L/0/P: expected type: Number, found: JSONArray'),
    );
    assert.throws(() => propsOf({ Tags: [{ Value: 'v' }] }, 'Web').tags(), failure('#/Tags/0: required key [Key] not found'));
    assert.throws(() => p.requiredStr('Absent'), failure('#: required key [Absent] not found'));
  });
});
