import { describe, expect, it } from 'vitest';

import { findAndRedact, redact, redactHeaders, redactionMarker } from '../../../src/core/ledger/index';

describe('redact', () => {
  it('replaces secret values anywhere in a JSON value, keys included', () => {
    const value = { url: 'http://h/?t=abc123', list: ['x abc123 y', 1, null, true], nested: { abc123: 'k' } };
    expect(redact(value, { token: 'abc123' })).toEqual({
      url: `http://h/?t=${redactionMarker('token')}`,
      list: [`x ${redactionMarker('token')} y`, 1, null, true],
      nested: { [redactionMarker('token')]: 'k' },
    });
  });

  it('replaces the longer of two overlapping secrets whole, and URL-encoded forms', () => {
    expect(
      redact(
        'a=pass and a=password1',
        new Map([
          ['short', 'pass'],
          ['long', 'password1'],
        ]),
      ),
    ).toBe(`a=${redactionMarker('short')} and a=${redactionMarker('long')}`);
    expect(redact('q=a%2Fb%20c', { s: 'a/b c' })).toBe(`q=${redactionMarker('s')}`);
  });

  it('leaves values alone when there is nothing to hide, and ignores empty secrets', () => {
    const value = { a: 'text' };
    expect(redact(value, {})).toBe(value);
    expect(redact(value, { empty: '' })).toBe(value);
  });

  it('reports where secrets were found without their values', () => {
    const { hits } = findAndRedact({ request: { headers: { auth: 'Bearer zz-secret' } } }, { token: 'zz-secret' });
    expect(hits).toEqual([{ name: 'token', path: '$.request.headers.auth' }]);
  });

  it('redactHeaders hides credential headers, keeping the scheme', () => {
    expect(redactHeaders({ Authorization: 'Bearer abc', Cookie: 'a=b', Accept: 'application/json', 'X-Api-Key': 'k' })).toEqual({
      Authorization: `Bearer ${redactionMarker('authorization')}`,
      Cookie: redactionMarker('cookie'),
      Accept: 'application/json',
      'X-Api-Key': redactionMarker('x-api-key'),
    });
  });
});
