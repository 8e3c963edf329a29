import Fastify from 'fastify';
import { registerWebPageRoutes } from '../../proxy/server/webPageRoutes.ts';
import { launchChromium, localContext, screenshot, LAPTOP, PHONE } from './browser.ts';
const app = Fastify();
registerWebPageRoutes(app);
const now = Date.now();
const versions = ['v1.0.0', 'v1.1.0', 'v1.2.3'].map((v, i) => ({ version: v, time: new Date(now - (3 - i) * 86400e3 * 30).toISOString(), size: 12345 * (i + 1), h1: 'h1:Zx6n0ybu5VHZc3dKxbWc+J8R9lJpSmfEo6mdVtNbdjU=', goModH1: 'h1:abc=', source: i === 2 ? 'git' : 'upstream', lastDownload: i ? new Date(now - 3600e3).toISOString() : null }));
app.get('/api/whoami', async () => ({ identity: 'alice', admin: true, authRequired: true }));
app.get('/api/modules', async () => ({ items: [{ path: 'github.com/acme/base', versions: 3, latest: 'v1.2.3', lastDownload: new Date().toISOString() }, { path: 'github.com/Acme/Widget', versions: 4, latest: 'v1.1.0', lastDownload: null }], next: 'x', total: 2 }));
app.get('/api/module', async (r: any) => ({ path: r.query.path, versions, goGet: `go get ${r.query.path}@latest` }));
app.get('/api/version', async (r: any) => ({ path: r.query.path, ...versions[2], goMod: `module ${r.query.path}\n\ngo 1.21\n`, files: [{ name: 'go.mod', size: 30 }, { name: 'LICENSE', size: 11000 }, { name: 'base.go', size: 2000 }], sumdb: { state: 'verified', database: 'sum.golang.org' }, goGet: `go get ${r.query.path}@v1.2.3` }));
app.get('/api/usage', async () => ({ downloads: Array.from({ length: 24 }, (_, i) => ({ time: new Date(now - (23 - i) * 3600e3).toISOString(), count: Math.round(20 + 15 * Math.sin(i / 3)) })), hitRate: Array.from({ length: 24 }, (_, i) => ({ time: new Date(now - (23 - i) * 3600e3).toISOString(), hits: 30 + i, misses: 24 - i })), topModules: [{ path: 'github.com/acme/base', count: 120 }], topUsers: [{ identity: 'alice', count: 100 }], denied: [{ time: new Date().toISOString(), identity: 'bob', module: 'github.com/Acme/Widget', version: 'v1.1.0', reason: 'access denied: bob may not read github.com/Acme/Widget' }], upstream: [{ url: 'https://proxy.example', requests: 300, errors: 2, p50ms: 40, p95ms: 180 }] }));
app.get('/api/health', async () => ({ upstreams: [{ url: 'https://proxy.example', lastSuccess: new Date().toISOString(), lastFailure: null, lastError: null }], sumdb: { name: 'sum.golang.org', treeSize: 123456, lastCheck: new Date().toISOString() }, storage: { type: 'disk', usedBytes: 5e9, freeBytes: 2e10, versions: 100000, modules: 10000 }, gitMirrors: [{ host: 'git.corp.example', repository: 'team/lib', bytes: 3e6 }], lastCleanup: { time: new Date().toISOString(), removedVersions: 12, freedBytes: 1234567 } }));
app.post('/api/cleanup/dry-run', async () => ({ versions: [{ path: 'github.com/acme/base', version: 'v1.0.0', reason: 'older than 180d' }], freedBytes: 12345 }));
app.get('/api/settings', async () => ({ listen: '0.0.0.0:3000', upstream: 'https://proxy.example', auth: { htpasswd: '/etc/htpasswd', tokens: '***' }, goEnv: ['go env -w GOPROXY=https://proxy.corp:3000', 'go env -w GONOSUMDB=git.corp.example'], netrc: 'machine proxy.corp:3000 login <you> password <token>' }));
await app.listen({ port: 0, host: '127.0.0.1' });
const url = `http://127.0.0.1:${(app.server.address() as any).port}`;
const browser = await launchChromium();
for (const colorScheme of ['light', 'dark'] as const) for (const [d, viewport] of [['laptop', LAPTOP], ['phone', PHONE]] as const) {
  const local = await localContext(browser, { viewport, colorScheme });
  const page = await local.context.newPage();
  page.on('console', (m) => console.log('console', m.text()));
  for (const [n, p] of [['search', '/?q=acme'], ['module', '/ui/module/github.com/acme/base'], ['version', '/ui/module/github.com/acme/base/@v/v1.2.3'], ['usage', '/ui/usage'], ['health', '/ui/health'], ['settings', '/ui/settings']]) {
    await page.goto(url + p!); await page.waitForTimeout(300); await screenshot(page, `mock-${n}-${d}-${colorScheme}`);
  }
  console.log(local.refused);
}
await browser.close(); await app.close();
