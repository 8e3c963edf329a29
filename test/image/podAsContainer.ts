// A pod the operator renders, run as a podman container the way a kubelet runs its container:
// command and args replace the image's entrypoint and command (and neither means the image's own);
// the environment with values from the Secrets and ConfigMaps given; every volume a folder on this
// machine, mounted where the container mounts it, with the ownership the kubelet gives it (fsGroup);
// the security context as user, groups, read-only root, capabilities and no-new-privileges; the
// termination message file mounted at its path. What this translation does not know stops it with
// a message, so that a field the operator adds later is translated or refused, never dropped.
import { chmod, chown, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerOptions } from './podman.ts';

/** The objects a pod's references resolve to, and where its volumes live on this machine. */
export type PodSurroundings = {
  /** ConfigMaps by name, as rendered (data only). */
  configMaps: Record<string, Record<string, string>>;
  /** Secrets by name, as the test made them (string data). */
  secrets: Record<string, Record<string, string>>;
  /** PersistentVolumeClaims by name: the folder bound to each. */
  claims: Record<string, string>;
  /** A folder for the pod's emptyDirs, ConfigMap volumes and termination message. */
  podFolder: string;
};

export type PodContainer = ContainerOptions & {
  /** The file on this machine behind terminationMessagePath: what the kubelet would report. */
  terminationMessage(): Promise<string>;
};

type Spec = Record<string, any>;

/** Fields of a container that concern scheduling, probes or the Service, not how it is run. */
const NOT_RUN_FIELDS = new Set(['name', 'image', 'imagePullPolicy', 'ports', 'livenessProbe', 'readinessProbe', 'startupProbe', 'resources', 'terminationMessagePolicy']);
const RUN_FIELDS = new Set(['command', 'args', 'env', 'volumeMounts', 'securityContext', 'terminationMessagePath']);
const KUBERNETES_DEFAULT_TERMINATION_MESSAGE_PATH = '/dev/termination-log';

function refuse(what: string): never {
  throw new Error(`podAsContainer cannot run this pod yet: ${what}`);
}

function environment(container: Spec, around: PodSurroundings): Record<string, string> {
  const env: Record<string, string> = {};
  for (const variable of container['env'] ?? []) {
    if ('value' in variable) {
      env[variable.name] = String(variable.value);
      continue;
    }
    const secretKey = variable.valueFrom?.secretKeyRef;
    const configMapKey = variable.valueFrom?.configMapKeyRef;
    const [kind, ref, source] = secretKey
      ? ['Secret', secretKey, around.secrets[secretKey.name]]
      : configMapKey
        ? ['ConfigMap', configMapKey, around.configMaps[configMapKey.name]]
        : refuse(`env ${variable.name} has a source other than a Secret or ConfigMap key: ${JSON.stringify(variable.valueFrom)}`);
    const value = source?.[ref.key];
    if (value === undefined) {
      if (ref.optional) continue;
      // The kubelet does not start such a container (CreateContainerConfigError).
      throw new Error(`env ${variable.name}: ${kind} ${ref.name} has no key ${ref.key}`);
    }
    env[variable.name] = value;
  }
  return env;
}

/** Each volume as a folder on this machine, owned as the kubelet would leave it. */
async function volumeFolders(pod: Spec, around: PodSurroundings): Promise<Map<string, { folder: string; readOnly: boolean }>> {
  const fsGroup: number | undefined = pod['securityContext']?.fsGroup;
  const folders = new Map<string, { folder: string; readOnly: boolean }>();
  for (const volume of pod['volumes'] ?? []) {
    const folder = join(around.podFolder, 'volumes', volume.name);
    if (volume.configMap) {
      const data = around.configMaps[volume.configMap.name] ?? refuse(`volume ${volume.name}: no ConfigMap ${volume.configMap.name}`);
      await mkdir(folder, { recursive: true });
      for (const [key, value] of Object.entries(data)) await writeFile(join(folder, key), value, { mode: 0o644 });
      // ConfigMap volumes are read-only, whatever the mount says.
      folders.set(volume.name, { folder, readOnly: true });
    } else if (volume.persistentVolumeClaim) {
      const bound = around.claims[volume.persistentVolumeClaim.claimName] ?? refuse(`volume ${volume.name}: no folder for claim ${volume.persistentVolumeClaim.claimName}`);
      // The kubelet gives a volume to the fsGroup: group-owned, group-writable, set-gid.
      if (fsGroup !== undefined) {
        await chown(bound, 0, fsGroup);
        await chmod(bound, 0o2775);
      }
      folders.set(volume.name, { folder: bound, readOnly: false });
    } else if (volume.emptyDir) {
      await mkdir(folder, { recursive: true });
      await chmod(folder, 0o777);
      folders.set(volume.name, { folder, readOnly: false });
    } else {
      refuse(`volume ${volume.name} is of a kind this translation does not make: ${JSON.stringify(volume)}`);
    }
  }
  return folders;
}

/** The pod's only container as podman options; the image is the one given (the test's build). */
export async function podAsContainer(pod: Spec, image: string, around: PodSurroundings): Promise<PodContainer> {
  const containers: Spec[] = pod['containers'] ?? [];
  if (containers.length !== 1 || pod['initContainers']?.length) refuse(`${containers.length} containers and ${pod['initContainers']?.length ?? 0} init containers`);
  const container = containers[0]!;
  for (const field of Object.keys(container)) {
    if (!NOT_RUN_FIELDS.has(field) && !RUN_FIELDS.has(field)) refuse(`container field ${field}`);
  }

  const podSecurity: Spec = pod['securityContext'] ?? {};
  const security: Spec = { ...podSecurity, ...container['securityContext'] };
  const user: number | undefined = security['runAsUser'];
  // runAsNonRoot: the kubelet refuses to start a container whose user is root or not numeric.
  if (security['runAsNonRoot'] && (user === undefined || user === 0)) refuse('runAsNonRoot without a numeric non-root runAsUser');
  const dropped: string[] = security['capabilities']?.drop ?? [];
  if (security['capabilities']?.add?.length) refuse(`added capabilities ${security['capabilities'].add}`);
  if (security['privileged']) refuse('a privileged container');

  const folders = await volumeFolders(pod, around);
  const mounts: NonNullable<ContainerOptions['mounts']> = (container['volumeMounts'] ?? []).map((mount: Spec) => {
    const volume = folders.get(mount.name) ?? refuse(`volumeMount ${mount.name} names no volume`);
    if (mount.subPath) refuse(`volumeMount ${mount.name} with a subPath`);
    return { source: volume.folder, target: mount.mountPath, readOnly: volume.readOnly || mount.readOnly === true };
  });

  // The kubelet mounts a writable file at terminationMessagePath and reads it when the container ends.
  const messagePath: string = container['terminationMessagePath'] ?? KUBERNETES_DEFAULT_TERMINATION_MESSAGE_PATH;
  const messageFile = join(around.podFolder, 'termination-log');
  await writeFile(messageFile, '');
  await chmod(messageFile, 0o666);
  mounts.push({ source: messageFile, target: messagePath });

  return {
    image,
    ...(container['command'] ? { entrypoint: container['command'] } : {}),
    ...(container['args'] ? { args: container['args'] } : {}),
    env: environment(container, around),
    mounts,
    ...(user !== undefined ? { user: `${user}:${security['runAsGroup'] ?? 0}` } : {}),
    ...(podSecurity['fsGroup'] !== undefined ? { groups: [podSecurity['fsGroup']] } : {}),
    readOnlyRoot: security['readOnlyRootFilesystem'] === true,
    dropCapabilities: dropped,
    noNewPrivileges: security['allowPrivilegeEscalation'] === false,
    terminationMessage: () => readFile(messageFile, 'utf8'),
  };
}
