import { describe, expect, it } from 'vitest';
import { moduleRequestPath, type ModuleRequest } from '../../../proxy/protocol/index.ts';

// [request, its path on the wire (!-escaped), its path as a message shows it]
const requests: Array<[ModuleRequest, string, string]> = [
  [{ kind: 'list', module: 'example.com/m' }, 'example.com/m/@v/list', 'example.com/m/@v/list'],
  [{ kind: 'latest', module: 'example.com/Big/M' }, 'example.com/!big/!m/@latest', 'example.com/Big/M/@latest'],
  [{ kind: 'info', module: 'example.com/m', version: 'v1.0.0' }, 'example.com/m/@v/v1.0.0.info', 'example.com/m/@v/v1.0.0.info'],
  [{ kind: 'mod', module: 'example.com/m/v2', version: 'v2.0.0-RC.1' }, 'example.com/m/v2/@v/v2.0.0-!r!c.1.mod', 'example.com/m/v2/@v/v2.0.0-RC.1.mod'],
  [{ kind: 'zip', module: 'github.com/Azure/sdk', version: 'v3.0.0+incompatible' }, 'github.com/!azure/sdk/@v/v3.0.0+incompatible.zip', 'github.com/Azure/sdk/@v/v3.0.0+incompatible.zip'],
  [{ kind: 'info', module: 'example.com/m', version: 'master' }, 'example.com/m/@v/master.info', 'example.com/m/@v/master.info'],
];

describe('moduleRequestPath', () => {
  it.each(requests)('%j', (request, wire, shown) => {
    expect(moduleRequestPath(request)).toBe(wire);
    expect(moduleRequestPath(request, { escaped: false })).toBe(shown);
  });
});
