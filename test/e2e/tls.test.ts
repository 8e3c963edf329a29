// https on the listener: the go command downloads over HTTP/2 with a CA the test made (given
// through SSL_CERT_FILE), HTTP/1.1 clients are served too, and a certificate rotated on disk
// (as cert-manager does) is picked up while clients download, without a failed request.
import { copyFileSync, renameSync } from 'node:fs';
import { connect } from 'node:http2';
import { get, type RequestOptions } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goModDownloadJson, makeGoHome, runGo } from '../fixtures/goCommand.ts';
import { buildableProgram, standardCorpus, writeModuleTree } from '../fixtures/moduleTree.ts';
import { makeTestCa, type TestCa } from '../fixtures/testCertificates.ts';
import { startUpstream, type Upstream } from '../fixtures/upstreamServer.ts';
import { startTestProxy, tempFolder, type TestProxy } from './harness.ts';

/** One request on a new connection over HTTP/1.1; the status and the certificate's CN. */
function getOverNewConnection(url: string, ca: Buffer): Promise<{ status: number; cn: string; protocol: string }> {
  return new Promise((resolve, reject) => {
    // ALPNProtocols reaches tls.connect, though https.RequestOptions does not list it.
    const options = { ca, agent: false, ALPNProtocols: ['http/1.1'] } as RequestOptions;
    const request = get(url, options, (response) => {
      const socket = response.socket as TLSSocket;
      const cn = String(socket.getPeerCertificate().subject.CN);
      const protocol = String(socket.alpnProtocol);
      response.resume();
      response.on('end', () => resolve({ status: response.statusCode ?? 0, cn, protocol }));
      response.on('error', reject);
    });
    request.on('error', reject);
  });
}

describe('tls', () => {
  const program = buildableProgram();
  let folder: { path: string; dispose(): Promise<void> };
  let ca: TestCa;
  let served: { certFile: string; keyFile: string };
  let upstream: Upstream;
  let proxy: TestProxy;

  beforeAll(async () => {
    folder = await tempFolder('gomodproxy-tls-');
    await writeModuleTree(join(folder.path, 'tree'), standardCorpus());
    ca = makeTestCa(folder.path);
    served = ca.issue('first');
    upstream = await startUpstream(join(folder.path, 'tree'));
    proxy = await startTestProxy({ upstream: upstream.url, tls: served });
  });
  afterAll(async () => {
    await proxy?.dispose();
    await upstream?.close();
    await folder?.dispose();
  });

  it('the go command downloads over https with the test CA; HTTP/2 and HTTP/1.1 are both served', async () => {
    expect(proxy.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const home = await makeGoHome({ goproxy: proxy.url, extra: { SSL_CERT_FILE: ca.caFile } });
    try {
      const results = await goModDownloadJson(program.requires, { env: home.env });
      expect(results.map((r) => r.Error).filter(Boolean)).toEqual([]);
      expect(results).toHaveLength(program.requires.length);
    } finally {
      await home.dispose();
    }

    const session = connect(proxy.url, { ca: ca.caPem });
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const stream = session.request({ ':path': '/healthz' });
        stream.on('response', (headers) => resolve(Number(headers[':status'])));
        stream.on('error', reject);
        stream.resume();
      });
      expect(status).toBe(200);
      expect((session.socket as TLSSocket).alpnProtocol).toBe('h2');
    } finally {
      session.close();
    }
    expect(await getOverNewConnection(`${proxy.url}/healthz`, ca.caPem)).toEqual({ status: 200, cn: 'first', protocol: 'http/1.1' });
  });

  it('the go command refuses the certificate without the CA', async () => {
    const home = await makeGoHome({ goproxy: proxy.url });
    try {
      const result = await runGo(['mod', 'download', '-json', program.requires[0]!], { cwd: home.home, env: home.env, allowFailure: true });
      expect(result.code).not.toBe(0);
      expect(result.stdout + result.stderr).toMatch(/certificate signed by unknown authority/);
    } finally {
      await home.dispose();
    }
  });

  it('a certificate rotated on disk is served to new connections, and no request fails during the swap', async () => {
    const next = ca.issue('second');
    // Go clients downloading the whole program, each with an empty module cache, while the files change.
    const homes = await Promise.all(Array.from({ length: 3 }, () => makeGoHome({ goproxy: proxy.url, extra: { SSL_CERT_FILE: ca.caFile } })));
    try {
      const downloads = homes.map((home) => goModDownloadJson(program.requires, { env: home.env }));
      // Replace the files as cert-manager does (each one atomically), the key first: for a moment
      // the pair does not match, and the proxy must keep serving the old certificate.
      copyFileSync(next.keyFile, `${served.keyFile}.new`);
      renameSync(`${served.keyFile}.new`, served.keyFile);
      copyFileSync(next.certFile, `${served.certFile}.new`);
      renameSync(`${served.certFile}.new`, served.certFile);
      // New connections, one after another, until one is given the new certificate.
      const seen: Array<{ status: number; cn: string }> = [];
      for (;;) {
        const answer = await getOverNewConnection(`${proxy.url}/github.com/acme/base/@v/list`, ca.caPem);
        seen.push(answer);
        if (answer.cn === 'second') break;
      }
      expect(seen.every((answer) => answer.status === 200)).toBe(true);
      for (const results of await Promise.all(downloads)) {
        expect(results.map((r) => r.Error).filter(Boolean)).toEqual([]);
        expect(results).toHaveLength(program.requires.length);
      }
      // A go command started after the swap verifies the new certificate against the same CA.
      const after = await makeGoHome({ goproxy: proxy.url, extra: { SSL_CERT_FILE: ca.caFile } });
      try {
        const results = await goModDownloadJson(program.requires.slice(0, 2), { env: after.env });
        expect(results.map((r) => r.Error).filter(Boolean)).toEqual([]);
      } finally {
        await after.dispose();
      }
    } finally {
      await Promise.all(homes.map((home) => home.dispose()));
    }
  });
});
