import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageFoldersOf, thirdPartyNotices } from '../../scripts/thirdPartyNotices.ts';
import { tempFolder } from '../e2e/harness.ts';

describe('packageFoldersOf', () => {
  it.each([
    [['/r/node_modules/zod/v4/core/api.js', '/r/node_modules/zod/index.js'], ['/r/node_modules/zod']],
    [['/r/node_modules/@aws-sdk/client-s3/dist-cjs/index.js'], ['/r/node_modules/@aws-sdk/client-s3']],
    [['/r/node_modules/@kubernetes/client-node/node_modules/undici/lib/core/util.js'], ['/r/node_modules/@kubernetes/client-node/node_modules/undici']],
    [['/r/proxy/serve.ts', '/r/cli/main.ts'], []],
    [['C:\\r\\node_modules\\pino\\pino.js'], ['C:/r/node_modules/pino']],
  ])('%j are of %j', (files, folders) => {
    expect(packageFoldersOf(files)).toEqual(folders);
  });
});

describe('thirdPartyNotices', () => {
  let root: { path: string; dispose(): Promise<void> };
  const pkg = (folder: string, manifest: object, files: Record<string, string>) => {
    mkdirSync(join(root.path, folder), { recursive: true });
    writeFileSync(join(root.path, folder, 'package.json'), JSON.stringify(manifest));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(root.path, folder, name), text);
    return join(root.path, folder);
  };
  beforeAll(async () => {
    root = await tempFolder('gomodproxy-notices-');
  });
  afterAll(async () => root?.dispose());

  it('gives each package once, by name, with every license and notice file it has, or says it has none', () => {
    const zod = pkg('node_modules/zod', { name: 'zod', version: '4.0.0', license: 'MIT' }, { LICENSE: 'MIT License\nCopyright (c) Colin\n', 'README.md': 'not a notice' });
    const aws = pkg('node_modules/@aws-sdk/client-s3', { name: '@aws-sdk/client-s3', version: '3.0.0', license: 'Apache-2.0' }, { 'LICENSE.txt': 'Apache License 2.0', NOTICE: 'AWS SDK for JavaScript\nCopyright Amazon' });
    const bare = pkg('node_modules/stream-buffers', { name: 'stream-buffers', version: '3.0.3', license: 'Unlicense' }, {});
    const notices = thirdPartyNotices([zod, bare, aws, zod]);
    const headers = notices.split('\n').filter((line) => / \(license: /.test(line));
    expect(headers).toEqual(['@aws-sdk/client-s3 3.0.0 (license: Apache-2.0)', 'stream-buffers 3.0.3 (license: Unlicense)', 'zod 4.0.0 (license: MIT)']);
    expect(notices).toContain('Apache License 2.0\n\nAWS SDK for JavaScript\nCopyright Amazon');
    expect(notices).toContain('MIT License\nCopyright (c) Colin');
    expect(notices).not.toContain('not a notice');
    expect(notices.slice(notices.indexOf('stream-buffers'))).toMatch(/^stream-buffers[^\n]*\n=+\n\n\(the package has no license or notice file\)/);
  });
});
