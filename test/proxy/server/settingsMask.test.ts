// /api/settings masks every secret: the values of secret settings wherever they occur, and the
// password of a URL (also inside a GOPROXY list), while everything else is shown as it is.
import { describe, expect, it } from 'vitest';
import { masked } from '../../../proxy/server/api/settingsRoute.ts';

describe('masked settings', () => {
  it.each([
    { value: { upstream: 'https://ci:hunter2@artifactory.corp.example/go,direct' }, want: { upstream: 'https://ci:***@artifactory.corp.example/go,direct' } },
    { value: { upstream: 'https://a:p1@one.example|https://b:p2@two.example' }, want: { upstream: 'https://a:***@one.example|https://b:***@two.example' } },
    { value: { upstream: 'https://proxy.golang.org,direct' }, want: { upstream: 'https://proxy.golang.org,direct' } },
    { value: { auth: { tokens: [{ name: 'ci', sha256: 'env:CI_TOKEN_SHA' }] } }, want: { auth: { tokens: [{ name: 'ci', sha256: '***' }] } } },
    { value: { git: { hosts: { 'git.corp.example': { url: 'https://git.corp.example', token: 'file:/run/secrets/git' } } } }, want: { git: { hosts: { 'git.corp.example': { url: 'https://git.corp.example', token: '***' } } } } },
    { value: { storage: { type: 's3', credentials: { accessKeyId: 'env:A', secretAccessKey: 'env:B' } } }, want: { storage: { type: 's3', credentials: { accessKeyId: '***', secretAccessKey: '***' } } } },
    { value: { listTtl: 60000, private: ['git.corp.example'] }, want: { listTtl: 60000, private: ['git.corp.example'] } },
  ])('$value', ({ value, want }) => {
    expect(masked(value)).toEqual(want);
  });
});
