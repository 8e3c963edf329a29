/** Secrets a GoModuleProxy names that do not exist, each said as what to do about it. */
import type { GoModuleProxy } from '../api/goModuleProxy.ts';
import type { Caches } from './caches.ts';

export function referencedSecrets(proxy: GoModuleProxy): Array<{ name: string; key: string; field: string }> {
  const references = proxy.spec.gitCredentials.map((credential, index) => ({
    name: credential.secretRef.name,
    key: credential.secretRef.key,
    field: `spec.gitCredentials[${index}].secretRef`,
  }));
  const s3 = proxy.spec.storage.s3;
  if (s3) references.push({ name: s3.credentialsSecretRef.name, key: 'AWS_ACCESS_KEY_ID', field: 'spec.storage.s3.credentialsSecretRef' });
  return references;
}

export function missingSecrets(proxy: GoModuleProxy, caches: Caches): string[] {
  const namespace = proxy.metadata.namespace;
  return referencedSecrets(proxy)
    .filter((reference) => !caches.secrets.get(`${namespace}/${reference.name}`))
    .map(
      (reference) =>
        `Secret ${namespace}/${reference.name} (${reference.field}) does not exist: create it with the key ${reference.key}, ` +
        `e.g. kubectl -n ${namespace} create secret generic ${reference.name} --from-literal=${reference.key}=…`,
    );
}
