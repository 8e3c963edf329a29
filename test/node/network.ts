// The node's network, made by the test on this machine and removed with it: a bridge with an
// address of its own subnet for the pods (CNI bridge and host-local, no masquerade, no default
// route in the pods, IP forwarding left as it is), and a route that sends the Service range to
// that bridge. Nothing is routed or translated off the machine: pods can reach the bridge's
// address (where the apiserver and the test's servers listen) and the Services, nothing else.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const BRIDGE = 'gmp-test0';
export const POD_SUBNET = '10.213.0.0/24';
/** The host's address on the bridge: pods reach the apiserver and the test's servers here. */
export const BRIDGE_ADDRESS = '10.213.0.1';
/** kube-apiserver's --service-cluster-ip-range (test/cluster/harness.ts). */
export const SERVICE_RANGE = '10.0.0.0/24';
/** The CNI network's name, which libcni also uses for its cache files under /var/lib/cni. */
const NETWORK_NAME = 'gomodproxy-test';
const CNI_CACHE = '/var/lib/cni/results';

async function ip(args: string[]): Promise<void> {
  await run('ip', args);
}

/** The bridge and the Service route; a bridge left by a run that crashed is removed first. */
export async function createBridge(): Promise<void> {
  if (existsSync(`/sys/class/net/${BRIDGE}`)) await removeBridge();
  await ip(['link', 'add', BRIDGE, 'type', 'bridge']);
  await ip(['addr', 'add', `${BRIDGE_ADDRESS}/24`, 'dev', BRIDGE]);
  await ip(['link', 'set', BRIDGE, 'up']);
  // Without it, the host would reach a ClusterIP by its default route, from an address pods cannot answer.
  await ip(['route', 'add', SERVICE_RANGE, 'dev', BRIDGE, 'src', BRIDGE_ADDRESS]);
}

export async function removeBridge(): Promise<void> {
  // Deleting the link deletes its addresses and routes, and detaches any veth still on it.
  await ip(['link', 'del', BRIDGE]).catch(() => undefined);
  const cached = await readdir(CNI_CACHE).catch(() => [] as string[]);
  for (const file of cached.filter((name) => name.startsWith(`${NETWORK_NAME}-`))) await rm(join(CNI_CACHE, file), { force: true });
}

/** The CNI configuration containerd reads from confDir (it adds the loopback itself); host-local keeps its leases in dataDir. */
export async function writeCniConfig(confDir: string, dataDir: string): Promise<void> {
  const config = {
    cniVersion: '1.0.0',
    name: NETWORK_NAME,
    plugins: [
      {
        type: 'bridge',
        bridge: BRIDGE,
        // The bridge has its address already; isGateway would also switch on IP forwarding.
        isGateway: false,
        ipMasq: false,
        hairpinMode: true,
        ipam: {
          type: 'host-local',
          dataDir,
          ranges: [[{ subnet: POD_SUBNET, rangeStart: '10.213.0.10', gateway: BRIDGE_ADDRESS }]],
          // Only the Service range goes by the host; the bridge's own subnet is on the link.
          routes: [{ dst: SERVICE_RANGE, gw: BRIDGE_ADDRESS }],
        },
      },
    ],
  };
  await writeFile(join(confDir, '10-gomodproxy-test.conflist'), JSON.stringify(config, null, 2));
}
