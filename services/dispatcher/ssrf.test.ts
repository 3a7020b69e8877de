import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAddressPolicy, embeddedIPv4, ipv6Groups, parseNetworks, resolveChecked } from './ssrf.ts';

const strict = createAddressPolicy();
const loopbackAllowed = createAddressPolicy(parseNetworks(['127.0.0.1/32', '::1/128']));

const refused: [string, string][] = [
  ['loopback', '127.0.0.1'],
  ['loopback other', '127.10.0.1'],
  ['private 10', '10.1.2.3'],
  ['private 172.16', '172.16.0.1'],
  ['private 172.31', '172.31.255.255'],
  ['private 192.168', '192.168.1.1'],
  ['cgnat', '100.64.0.1'],
  ['cgnat top', '100.127.255.254'],
  ['link-local', '169.254.1.1'],
  ['aws/gcp metadata', '169.254.169.254'],
  ['unspecified v4', '0.0.0.0'],
  ['this network', '0.1.2.3'],
  ['multicast v4', '224.0.0.1'],
  ['broadcast', '255.255.255.255'],
  ['benchmarking', '198.18.0.1'],
  ['unspecified v6', '::'],
  ['loopback v6', '::1'],
  ['ipv4-compatible v6', '::7f00:1'],
  ['mapped loopback', '::ffff:127.0.0.1'],
  ['mapped loopback hex', '::ffff:7f00:1'],
  ['mapped metadata', '::ffff:169.254.169.254'],
  ['mapped private', '::ffff:10.0.0.1'],
  ['mapped expanded', '0:0:0:0:0:ffff:c0a8:0101'],
  ['nat64 private', '64:ff9b::10.0.0.1'],
  ['6to4 loopback', '2002:7f00:1::'],
  ['teredo', '2001:0:4136:e378:8000:63bf:3fff:fdd2'],
  ['aws v6 metadata', 'fd00:ec2::254'],
  ['ula', 'fc00::1'],
  ['link-local v6', 'fe80::1'],
  ['link-local v6 with zone', 'fe80::1%eth0'],
  ['site-local v6', 'fec0::1'],
  ['multicast v6', 'ff02::1'],
  ['documentation v6', '2001:db8::1'],
];

const allowed: [string, string][] = [
  ['public v4', '93.184.216.34'],
  ['public 172.32', '172.32.0.1'],
  ['public near cgnat', '100.128.0.1'],
  ['public v6', '2606:2800:220:1:248:1893:25c8:1946'],
  ['mapped public', '::ffff:93.184.216.34'],
  ['nat64 public', '64:ff9b::93.184.216.34'],
];

describe('SSRF address policy', () => {
  for (const [name, ip] of refused) it(`refuses ${name} (${ip})`, () => assert.ok(strict.refusal(ip), ip));
  for (const [name, ip] of allowed) it(`allows ${name} (${ip})`, () => assert.equal(strict.refusal(ip), undefined));

  it('allowlist opens exactly what it names, also in mapped form', () => {
    assert.equal(loopbackAllowed.refusal('127.0.0.1'), undefined);
    assert.equal(loopbackAllowed.refusal('::1'), undefined);
    assert.equal(loopbackAllowed.refusal('::ffff:127.0.0.1'), undefined);
    assert.ok(loopbackAllowed.refusal('127.0.0.2'));
    assert.ok(loopbackAllowed.refusal('10.0.0.1'));
    assert.ok(loopbackAllowed.refusal('169.254.169.254'));
  });

  it('parses IPv6 forms', () => {
    assert.deepEqual(ipv6Groups('::ffff:1.2.3.4'), [0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304]);
    assert.deepEqual(ipv6Groups('fd00:ec2::254'), [0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254]);
    assert.equal(embeddedIPv4('::ffff:7f00:1'), '127.0.0.1');
    assert.equal(embeddedIPv4('2002:0a00:0001::1'), '10.0.0.1');
    assert.equal(embeddedIPv4('2606:2800::1'), undefined);
  });

  it('checks every resolved address and returns the allowed one (connect target)', async () => {
    const resolver = async () => [
      { address: '10.0.0.5', family: 4 as const },
      { address: '93.184.216.34', family: 4 as const },
    ];
    assert.deepEqual(await resolveChecked('hooks.example.com', strict, resolver), {
      address: '93.184.216.34',
      family: 4,
    });
    await assert.rejects(
      resolveChecked('evil.example.com', strict, async () => [{ address: '169.254.169.254', family: 4 }]),
      /refused to connect to evil.example.com/,
    );
    await assert.rejects(resolveChecked('127.0.0.1', strict), /loopback/);
    await assert.rejects(resolveChecked('[::ffff:127.0.0.1]', strict), /embeds/);
    assert.deepEqual(await resolveChecked('[::1]', loopbackAllowed), { address: '::1', family: 6 });
  });

  it('refuses a bad allowlist entry naming the variable', () => {
    assert.throws(() => parseNetworks(['localhost']), /DISPATCHER_ALLOWED_NETWORKS/);
    assert.throws(() => parseNetworks(['10.0.0.0/33']), /prefix length/);
  });
});
