import { describe, expect, it } from 'vitest';
import { unstorableTextAt } from './validation.js';

describe('unstorableTextAt', () => {
  it('finds nothing wrong in storable text, numbers and nulls', () => {
    expect(unstorableTextAt({ a: ['x', 1, null, { b: 'é 😀' }], c: true })).toBeUndefined();
  });

  it.each([
    [
      'a NUL deep in arrays and objects',
      { events: [{}, { properties: { note: 'a\u0000' } }] },
      ['events', '1', 'properties', 'note'],
    ],
    ['a lone high surrogate', { city: 'a\ud800b' }, ['city']],
    ['a lone low surrogate', ['ok', '\udc00'], ['1']],
    ['a key that cannot be stored', { nested: { 'k\u0000': 1 } }, ['nested', 'k\u0000']],
    ['the body itself', 'a\u0000', []],
  ])('names the path to %s', (_name, value, path) => {
    expect(unstorableTextAt(value)).toEqual(path);
  });
});
