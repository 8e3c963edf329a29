import { describe, expect, it } from 'vitest';
import { isProxyError } from '../../../proxy/errors.ts';
import { parseRequestPath } from '../../../proxy/server/protocolRequest.ts';

describe('parseRequestPath', () => {
  it.each([
    ['/github.com/acme/base/@v/list', { kind: 'list', module: 'github.com/acme/base' }],
    ['/github.com/acme/base/@latest', { kind: 'latest', module: 'github.com/acme/base' }],
    ['/github.com/!acme/!widget/@v/v1.2.3.info', { kind: 'info', module: 'github.com/Acme/Widget', version: 'v1.2.3' }],
    ['/github.com/acme/base/v2/@v/v2.0.0-!r!c1.mod', { kind: 'mod', module: 'github.com/acme/base/v2', version: 'v2.0.0-RC1' }],
    ['/github.com/acme/base/@v/v1.0.0.zip', { kind: 'zip', module: 'github.com/acme/base', version: 'v1.0.0' }],
    ['/github.com/acme/base/@v/master.info', { kind: 'info', module: 'github.com/acme/base', version: 'master' }],
  ])('%s', (path, expected) => {
    expect(parseRequestPath(path)).toEqual(expected);
  });

  it.each([
    ['/github.com/acme/base/@v/v1.0.0.tar', 'NOT_FOUND', /should be list or <version>\.info, \.mod or \.zip/],
    ['/github.com/Acme/base/@v/list', 'BAD_REQUEST', /module paths are !-escaped/],
    ['/github.com/acme/%2e%2e/@v/list', 'BAD_REQUEST', /may not contain "\.\." segments/],
    ['/github.com/acme/%zz/@v/list', 'BAD_REQUEST', /malformed percent-encoding/],
    ['/github.com/acme/base/v2/@v/v1.0.0.zip', 'NOT_FOUND', /v1\.0\.0/],
    [`/github.com/${'a'.repeat(5000)}/@v/list`, 'URI_TOO_LONG', /at most 4096/],
  ])('refuses %s', (path, code, message) => {
    // Twice: a refused path stays refused, with the same reason.
    for (let i = 0; i < 2; i++) {
      let thrown: unknown;
      try {
        parseRequestPath(path);
      } catch (err) {
        thrown = err;
      }
      expect(isProxyError(thrown) && thrown.code).toBe(code);
      expect((thrown as Error).message).toMatch(message);
    }
  });

  it('answers a path asked again with the same frozen request, and forgets the oldest of 1000', () => {
    const first = parseRequestPath('/github.com/acme/remembered/@v/v1.0.0.info');
    expect(Object.isFrozen(first)).toBe(true);
    expect(parseRequestPath('/github.com/acme/remembered/@v/v1.0.0.info')).toBe(first);
    for (let i = 0; i < 1000; i++) parseRequestPath(`/github.com/acme/filler-${i}/@v/list`);
    const again = parseRequestPath('/github.com/acme/remembered/@v/v1.0.0.info');
    expect(again).not.toBe(first);
    expect(again).toEqual(first);
  });
});
