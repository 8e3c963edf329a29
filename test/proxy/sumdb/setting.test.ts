// The GOSUMDB setting, read as the go command reads it.
import { describe, expect, it } from 'vitest';
import { generateSignerKey, InvalidSumdbSettingError, KNOWN_SUMDB_KEYS, parseSumdbSetting } from '../../../proxy/sumdb/index.ts';

const corp = generateSignerKey('sumdb.corp.example');
const withPath = generateSignerKey('corp.example/sumdb');
const upper = generateSignerKey('Sum.Corp.Example');

describe('GOSUMDB setting', () => {
  it.each([
    { setting: 'sum.golang.org', name: 'sum.golang.org', url: 'https://sum.golang.org', urlGiven: false, vkey: KNOWN_SUMDB_KEYS['sum.golang.org'] },
    { setting: 'sum.golang.google.cn', name: 'sum.golang.org', url: 'https://sum.golang.google.cn', urlGiven: true, vkey: KNOWN_SUMDB_KEYS['sum.golang.org'] },
    { setting: 'sum.golang.org https://mirror.corp.example/sumdb/', name: 'sum.golang.org', url: 'https://mirror.corp.example/sumdb', urlGiven: true, vkey: KNOWN_SUMDB_KEYS['sum.golang.org'] },
    { setting: corp.vkey, name: 'sumdb.corp.example', url: 'https://sumdb.corp.example', urlGiven: false, vkey: corp.vkey },
    { setting: `  ${corp.vkey}   http://127.0.0.1:8080 `, name: 'sumdb.corp.example', url: 'http://127.0.0.1:8080', urlGiven: true, vkey: corp.vkey },
    { setting: withPath.vkey, name: 'corp.example/sumdb', url: 'https://corp.example/sumdb', urlGiven: false, vkey: withPath.vkey },
  ])('$setting', ({ setting, name, url, urlGiven, vkey }) => {
    const parsed = parseSumdbSetting(setting);
    expect(parsed.off).toBe(false);
    if (parsed.off) return;
    expect(parsed.name).toBe(name);
    expect(parsed.url).toBe(url);
    expect(parsed.urlGiven).toBe(urlGiven);
    expect(parsed.verifier.vkey).toBe(vkey);
  });

  it('reads off', () => {
    expect(parseSumdbSetting('off')).toEqual({ off: true });
  });

  it.each([
    { setting: '', message: /missing checksum database/ },
    { setting: 'sumdb.corp.example', message: /unknown checksum database "sumdb\.corp\.example": give its verifier key/ },
    { setting: `${corp.vkey} https://a https://b`, message: /too many fields/ },
    { setting: `${corp.vkey} ftp://mirror`, message: /only http and https/ },
    { setting: `${corp.vkey} https://user:pw@mirror`, message: /no credentials/ },
    { setting: `${corp.vkey} not a url`, message: /too many fields/ },
    { setting: `${corp.vkey} mirror.corp.example`, message: /absolute http\(s\) URL/ },
    { setting: corp.vkey.replace(/\+[0-9a-f]{8}\+/, '+00000000+'), message: /key hash 00000000 does not match/ },
    { setting: upper.vkey, message: /invalid checksum database name "Sum\.Corp\.Example": it must be a lower-case host\[\/path\]/ },
  ])('refuses $setting', ({ setting, message }) => {
    expect(() => parseSumdbSetting(setting)).toThrow(InvalidSumdbSettingError);
    expect(() => parseSumdbSetting(setting)).toThrow(message);
  });
});
