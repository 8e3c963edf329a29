/**
 * Names and labels of the objects a GoModuleProxy owns. Every owned object carries the labels
 * that name its GoModuleProxy, so the operator watches them with one label selector and finds the
 * owner of an event without reading owner references (which cannot cross namespaces anyway).
 */
import { createHash } from 'node:crypto';
import type { GoModuleProxy } from '../api/goModuleProxy.ts';

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'gomodproxy-operator';
export const PROXY_NAME_LABEL = 'gomodproxy.dev/proxy-name';
export const PROXY_NAMESPACE_LABEL = 'gomodproxy.dev/proxy-namespace';

/** The label selector of every object the operator manages. */
export const MANAGED_SELECTOR = `${MANAGED_BY_LABEL}=${MANAGED_BY}`;

export const COMPONENT_LABEL = 'app.kubernetes.io/component';
export const CLEANUP_COMPONENT = 'cleanup';

/**
 * The pods of every cleanup job (the CronJob's pod template carries the owned labels), and no
 * serving pod: the operator reads their termination messages for status.lastCleanup.
 */
export const CLEANUP_POD_SELECTOR = `${MANAGED_SELECTOR},${COMPONENT_LABEL}=${CLEANUP_COMPONENT}`;

export const SERVER_COMPONENT = 'server';

/** The serving pods of every proxy: the operator reads their state to say what keeps them from starting. */
export const SERVING_POD_SELECTOR = `${MANAGED_SELECTOR},${COMPONENT_LABEL}=${SERVER_COMPONENT}`;

/**
 * Labels that select the serving pods of one proxy: the Deployment's selector (never changed after
 * creation) and the Service's. The component keeps the cleanup job's pods out of the Service.
 */
export function podSelectorLabels(proxy: GoModuleProxy): Record<string, string> {
  return { 'app.kubernetes.io/name': 'gomodproxy', 'app.kubernetes.io/instance': proxy.metadata.name, [COMPONENT_LABEL]: SERVER_COMPONENT };
}

export function ownedLabels(proxy: GoModuleProxy, component: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'gomodproxy',
    'app.kubernetes.io/instance': proxy.metadata.name,
    [COMPONENT_LABEL]: component,
    [MANAGED_BY_LABEL]: MANAGED_BY,
    [PROXY_NAME_LABEL]: proxy.metadata.name,
    [PROXY_NAMESPACE_LABEL]: proxy.metadata.namespace,
  };
}

/** The namespace/name key of the GoModuleProxy that an owned object's labels name, if any. */
export function ownerKeyFromLabels(labels: Record<string, string> | undefined): string | undefined {
  const name = labels?.[PROXY_NAME_LABEL];
  const namespace = labels?.[PROXY_NAMESPACE_LABEL];
  return name && namespace ? `${namespace}/${name}` : undefined;
}

/**
 * A CronJob's name is at most 52 characters: the Jobs it makes add 11 (a dash and the scheduled
 * minute) and must still fit a 63-character label.
 */
export const CRONJOB_NAME_LIMIT = 52;

/**
 * name + suffix, or, when that is longer than limit, the name cut short with 8 hex digits of its
 * sha256 in between, so that two long names that share a beginning still differ.
 */
export function boundedName(name: string, suffix: string, limit: number): string {
  if (name.length + suffix.length <= limit) return `${name}${suffix}`;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${name.slice(0, limit - suffix.length - hash.length - 1).replace(/-+$/, '')}-${hash}${suffix}`;
}

export const objectNames = (proxy: GoModuleProxy) => ({
  config: `${proxy.metadata.name}-config`,
  deployment: proxy.metadata.name,
  service: proxy.metadata.name,
  pvc: `${proxy.metadata.name}-data`,
  cronJob: boundedName(proxy.metadata.name, '-cleanup', CRONJOB_NAME_LIMIT),
});

/** The Service's name and port as clients in the cluster write it, the port always given (also 80 or 443). */
export function proxyHost(proxy: GoModuleProxy): string {
  return `${objectNames(proxy).service}.${proxy.metadata.namespace}.svc:${proxy.spec.service.port}`;
}

/** Where clients in the cluster reach the proxy: https when the spec names a TLS Secret. */
export function proxyUrl(proxy: GoModuleProxy): string {
  return `${proxy.spec.tls ? 'https' : 'http'}://${proxyHost(proxy)}`;
}

/** The proxy's web page, served by the proxy at its root. */
export function proxyWebUrl(proxy: GoModuleProxy): string {
  return `${proxyUrl(proxy)}/`;
}
