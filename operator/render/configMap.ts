/** The ConfigMap holding the proxy's settings file, and the checksum that rolls the pods when it changes. */
import { createHash } from 'node:crypto';
import type { GoModuleProxy } from '../api/goModuleProxy.ts';
import { ownedMetadata, type KubeObject } from './kubeObject.ts';
import { objectNames } from './labels.ts';
import { proxySettingsYaml } from './proxySettings.ts';
import type { NamespaceTokenHashes } from './accessSettings.ts';

export const CONFIG_KEY = 'config.yaml';

export function renderConfigMap(proxy: GoModuleProxy, namespaceTokens: NamespaceTokenHashes = new Map()): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: ownedMetadata(proxy, objectNames(proxy).config, 'config'),
    data: { [CONFIG_KEY]: proxySettingsYaml(proxy, namespaceTokens) },
  };
}

/** sha256 of the ConfigMap's data: a pod template annotation, so new settings start new pods. */
export function configChecksum(configMap: KubeObject): string {
  return createHash('sha256').update(JSON.stringify(configMap['data'])).digest('hex');
}
