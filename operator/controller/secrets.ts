/**
 * The Secrets a GoModuleProxy names: those that do not exist, each said as what to do about it,
 * and a digest of what those that do are now. Only their metadata is read, never their data.
 */
import { createHash } from 'node:crypto';
import type { GoModuleProxy } from '../api/goModuleProxy.ts';
import type { Caches } from './caches.ts';

/**
 * A Secret the spec names. rollsPods: whether the pods must restart to see a change of it. Values
 * read once at start (environment variables, the named tokens' hashes) do; files the proxy
 * re-reads when they change (the TLS certificate, the htpasswd file) do not, so that a
 * cert-manager renewal or a new user never restarts a pod.
 */
export type SecretReference = { name: string; key: string; field: string; rollsPods: boolean };

export function referencedSecrets(proxy: GoModuleProxy): SecretReference[] {
  const references: SecretReference[] = proxy.spec.gitCredentials.map((credential, index) => ({
    name: credential.secretRef.name,
    key: credential.secretRef.key,
    field: `spec.gitCredentials[${index}].secretRef`,
    rollsPods: true,
  }));
  const s3 = proxy.spec.storage.s3;
  if (s3) references.push({ name: s3.credentialsSecretRef.name, key: 'AWS_ACCESS_KEY_ID', field: 'spec.storage.s3.credentialsSecretRef', rollsPods: true });
  const { auth, tls } = proxy.spec;
  if (auth?.htpasswdSecretRef) references.push({ ...auth.htpasswdSecretRef, field: 'spec.auth.htpasswdSecretRef', rollsPods: false });
  auth?.tokens.forEach((token, index) => references.push({ ...token.secretRef, field: `spec.auth.tokens[${index}].secretRef`, rollsPods: true }));
  if (tls) references.push({ name: tls.secretName, key: 'tls.crt', field: 'spec.tls.secretName', rollsPods: false });
  return references;
}

export function missingSecrets(proxy: GoModuleProxy, caches: Caches): string[] {
  const namespace = proxy.metadata.namespace;
  return referencedSecrets(proxy)
    .filter((reference) => !caches.secrets.get(`${namespace}/${reference.name}`))
    .map((reference) =>
      reference.field === 'spec.tls.secretName'
        ? `Secret ${namespace}/${reference.name} (${reference.field}) does not exist: create it with the keys tls.crt and tls.key, ` +
          `e.g. kubectl -n ${namespace} create secret tls ${reference.name} --cert=server.pem --key=server.key, or a cert-manager Certificate with secretName ${reference.name}`
        : `Secret ${namespace}/${reference.name} (${reference.field}) does not exist: create it with the key ${reference.key}, ` +
          `e.g. kubectl -n ${namespace} create secret generic ${reference.name} --from-literal=${reference.key}=…`,
    );
}

/**
 * A digest of the referenced Secrets' uid and resourceVersion: it changes whenever one is written
 * (a rotated token) or made anew, which is when the pods must restart to read it.
 */
export function secretsVersion(proxy: GoModuleProxy, caches: Caches): string | undefined {
  const names = [...new Set(referencedSecrets(proxy).filter((reference) => reference.rollsPods).map((reference) => reference.name))].sort();
  if (names.length === 0) return undefined;
  const versions = names.map((name) => {
    const secret = caches.secrets.get(`${proxy.metadata.namespace}/${name}`);
    return `${name}=${secret?.metadata.uid ?? ''}/${secret?.metadata.resourceVersion ?? ''}`;
  });
  return createHash('sha256').update(versions.join('\n')).digest('hex').slice(0, 32);
}
