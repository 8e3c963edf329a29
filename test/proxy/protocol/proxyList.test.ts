import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatProxyList, parseProxyList, type ProxyEntry } from '../../../proxy/protocol/index.ts';
import { goDownloadErrors, makeGoSandbox, type GoSandbox } from './goCommand.ts';

const url = (u: string, fallBackOnAnyError = false): ProxyEntry => ({ kind: 'url', url: u, fallBackOnAnyError });
const direct: ProxyEntry = { kind: 'direct', fallBackOnAnyError: false };
const off: ProxyEntry = { kind: 'off', fallBackOnAnyError: false };

describe('parseProxyList', () => {
  it.each<[string, ProxyEntry[]]>([
    ['https://proxy.golang.org,direct', [url('https://proxy.golang.org'), direct]],
    ['https://a,https://b|direct', [url('https://a'), url('https://b', true), direct]],
    ['https://a|https://b,off', [url('https://a', true), url('https://b'), off]],
    ['off', [off]],
    ['direct', [direct]],
    ['file:///x', [url('file:///x')]],
    ['file:///var/cache/go/', [url('file:///var/cache/go')]],
    ['file:///', [url('file:///')]],
    ['FILE:///x', [url('file:///x')]],
    ['http://127.0.0.1:3000', [url('http://127.0.0.1:3000')]],
    ['http://[::1]:3000/', [url('http://[::1]:3000')]],
    ['HTTPS://Proxy.Example/', [url('https://Proxy.Example')]],
    ['https://proxy.example/go//', [url('https://proxy.example/go')]],
    ['https://user:secret@proxy.example/', [url('https://user:secret@proxy.example')]],
    // No scheme: an entry with a '.', ':' or '/' is an https URL.
    ['proxy.example.com', [url('https://proxy.example.com')]],
    ['localhost:3000', [url('https://localhost:3000')]],
    ['proxy.example.com/go/', [url('https://proxy.example.com/go')]],
    // White space around entries and empty entries are ignored.
    [' https://a , direct ', [url('https://a'), direct]],
    [',,https://a,,', [url('https://a')]],
    ['https://a|', [url('https://a', true)]],
    // "off" and "direct" end the list; what follows is not even looked at (as cmd/go).
    ['direct,https://b', [direct]],
    ['off|https://b', [off]],
    ['direct,ftp://never-parsed', [direct]],
    ['https://a|direct|https://c', [url('https://a', true), direct]],
  ])('%j', (list, entries) => {
    expect(parseProxyList(list)).toEqual(entries);
  });

  it.each([
    ['', 'invalid GOPROXY list "": it is empty'],
    ['   ', 'it is empty'],
    [',', 'invalid GOPROXY list ",": it names no entry'],
    [' | , ', 'it names no entry'],
    ['ftp://x', 'invalid GOPROXY list "ftp://x": entry "ftp://x" has the scheme "ftp"'],
    ['https://a,gopher://b', 'entry "gopher://b" has the scheme "gopher"'],
    ['foo', 'entry "foo" has no scheme'],
    ['noproxy', 'entry "noproxy" has no scheme'],
    ['/var/cache/go', 'entry "/var/cache/go" has no scheme'],
    ['file://host/x', 'entry "file://host/x" is not a file:// URL of an absolute path'],
    ['file://localhost/x', 'entry "file://localhost/x" is not a file:// URL of an absolute path'],
    ['file:/x', 'entry "file:/x" is not a file:// URL of an absolute path'],
    ['file:x', 'entry "file:x" (read as "https://file:x") is not a valid URL'],
    ['http:/a', 'entry "http:/a" has no host'],
    ['https://', 'entry "https://" is not a valid URL'],
    ['https://a b', 'entry "https://a b" is not a valid URL'],
    ['localhost:port', 'entry "localhost:port" (read as "https://localhost:port") is not a valid URL'],
    ['https://a/?x=1', 'has a query'],
    ['https://a/#frag', 'has a fragment'],
    ['file:///x?y', 'has a query'],
  ])('%j is rejected: %s', (list, message) => {
    expect(() => parseProxyList(list)).toThrow(message);
  });

  it('says what is allowed', () => {
    expect(() => parseProxyList('ftp://x')).toThrow(
      'allowed: http://, https:// or file:// URLs, "direct" and "off", separated by "," or "|"',
    );
  });

  it('does not repeat a password in an error', () => {
    let message = '';
    try {
      parseProxyList('https://u:hunter2@a.example,ftp://v:hunter3@b.example');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('ftp://v:xxxxx@b.example');
    expect(message).toContain('https://u:xxxxx@a.example');
    expect(message).not.toContain('hunter');
  });
});

describe('formatProxyList', () => {
  it.each([
    'https://proxy.golang.org,direct',
    'https://a,https://b|direct',
    'https://a|https://b,off',
    'file:///x|off',
    'direct',
  ])('%j survives a round trip', (list) => {
    expect(formatProxyList(parseProxyList(list))).toBe(list);
  });
});

describe('the go command agrees', () => {
  let sandbox: GoSandbox | undefined;
  beforeAll(async () => {
    sandbox = await makeGoSandbox();
  });
  afterAll(async () => {
    await sandbox?.dispose();
  });

  /** Whether go refused the GOPROXY setting itself, before fetching anything. */
  const goRejectsList = (error: string) =>
    /: (GOPROXY list is not the empty string, but contains no entries|invalid proxy URL|invalid file:\/\/ proxy URL|parse ")/.test(error);

  // $EMPTY is a file:// URL of an empty folder. Lists without "direct", and whose URLs are
  // file:// or on 127.0.0.1: nothing can leave this machine. Where we are stricter than go
  // ("", queries, fragments, "http:/a") is covered by the tables above, not here.
  it.each([
    ['$EMPTY', true],
    ['$EMPTY/', true],
    ['$EMPTY|off', true],
    [' $EMPTY , off ', true],
    [',,$EMPTY,,', true],
    ['off', true],
    ['FILE$EMPTY_WITHOUT_SCHEME', true],
    ['http://127.0.0.1:9', true],
    ['127.0.0.1:9', true],
    ['$EMPTY,http://127.0.0.1:9/go/|off', true],
    [',', false],
    [' | ', false],
    ['ftp://127.0.0.1', false],
    ['$EMPTY,gopher://127.0.0.1', false],
    ['foo', false],
    ['noproxy', false],
    ['/var/cache/go', false],
    ['file://127.0.0.1/x', false],
    ['file://localhost/x', false],
    ['file:/x', false],
    ['file:///x?y', false],
    ['http://127.0.0.1 x', false],
    ['localhost:port', false],
    ['file:x', false],
  ])('GOPROXY=%j is accepted: %s', async (template, accepted) => {
    if (!sandbox) throw new Error('no sandbox');
    const list = template
      .replace('$EMPTY_WITHOUT_SCHEME', sandbox.emptyProxy.slice('file'.length))
      .replace('$EMPTY', sandbox.emptyProxy);
    const [error = ''] = await goDownloadErrors(sandbox, list, ['example.com/m@v1.0.0']);
    expect(error, 'every module is missing, so go always reports an error').not.toBe('');
    expect(goRejectsList(error), `go said: ${error}`).toBe(!accepted);
    if (accepted) expect(() => parseProxyList(list)).not.toThrow();
    else expect(() => parseProxyList(list)).toThrow('invalid GOPROXY list');
  });
});
