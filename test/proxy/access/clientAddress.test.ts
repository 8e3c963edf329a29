import { describe, expect, it } from 'vitest';
import { clientAddressResolver } from '../../../proxy/access/clientAddress.ts';

// [trusted proxies, peer, X-Forwarded-For, client]
const cases: Array<[string[], string, string | undefined, string]> = [
  [[], '192.0.2.1', '203.0.113.9', '192.0.2.1'],
  [['10.0.0.0/8'], '192.0.2.1', '203.0.113.9', '192.0.2.1'],
  [['10.0.0.0/8'], '10.1.2.3', undefined, '10.1.2.3'],
  [['10.0.0.0/8'], '10.1.2.3', '203.0.113.9', '203.0.113.9'],
  [['10.0.0.0/8'], '::ffff:10.1.2.3', '203.0.113.9', '203.0.113.9'],
  [['10.0.0.0/8'], '10.1.2.3', '198.51.100.1, 203.0.113.9, 10.9.9.9', '203.0.113.9'],
  [['10.0.0.0/8'], '10.1.2.3', '10.7.7.7, 10.9.9.9', '10.7.7.7'],
  [['10.0.0.0/8'], '10.1.2.3', 'garbage, 10.9.9.9', '10.9.9.9'],
  [['127.0.0.1', 'fd00::/8'], 'fd00::1', '2001:db8::5', '2001:db8::5'],
  [['127.0.0.1'], '127.0.0.2', '203.0.113.9', '127.0.0.2'],
];

describe('client address behind trusted proxies', () => {
  it.each(cases)('trusted %j, peer %s, X-Forwarded-For %j: %s', (trusted, peer, forwardedFor, client) => {
    expect(clientAddressResolver(trusted)(peer, forwardedFor)).toBe(client);
  });
});
