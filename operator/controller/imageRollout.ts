/**
 * An operator upgrade changes the default proxy image (--proxy-image) of every GoModuleProxy that
 * names none. Rolling them all at once would restart every proxy in the cluster together, and a bad
 * image would break them all. Instead they move one at a time: a proxy keeps the image its
 * Deployment runs while another proxy's Deployment is still rolling out to the new default image,
 * and moves when none is. A rollout that fails (pods that never become ready) holds the others on
 * the old image until it is fixed or the Deployment's progress deadline passes. A proxy that names
 * its image in the spec, or has no Deployment yet, gets the image at once.
 */
import type { GoModuleProxy } from '../api/goModuleProxy.ts';
import type { KubeObject } from '../render/index.ts';
import { stalledRollout } from './podHealth.ts';

type DeploymentShape = {
  spec?: { replicas?: number; template?: { spec?: { containers?: Array<{ name: string; image?: string }> } } };
  status?: { observedGeneration?: number; replicas?: number; updatedReplicas?: number; readyReplicas?: number };
};

/** The serving container's image in a Deployment as it is. */
export function runningImage(deployment: KubeObject): string | undefined {
  return (deployment as DeploymentShape).spec?.template?.spec?.containers?.find((container) => container.name === 'gomodproxy')?.image;
}

/** Still moving to its pod template: not every replica updated and ready, and not given up on. */
export function isRollingOut(deployment: KubeObject): boolean {
  const { spec, status } = deployment as DeploymentShape;
  const wanted = spec?.replicas ?? 1;
  const done =
    (status?.observedGeneration ?? 0) >= (deployment.metadata.generation ?? 0) &&
    (status?.updatedReplicas ?? 0) === wanted &&
    (status?.readyReplicas ?? 0) === wanted &&
    (status?.replicas ?? 0) === wanted;
  return !done && stalledRollout(deployment) === undefined;
}

/**
 * The image to render for proxy: 'hold' with the running image while another proxy's Deployment
 * is rolling out to the default image, the default otherwise.
 */
export function defaultImageFor(
  proxy: GoModuleProxy,
  own: KubeObject | undefined,
  others: KubeObject[],
  defaultImage: string,
): { image: string; held: boolean } {
  const running = own ? runningImage(own) : undefined;
  if (proxy.spec.image || !running || running === defaultImage) return { image: defaultImage, held: false };
  const busy = others.some((deployment) => runningImage(deployment) === defaultImage && isRollingOut(deployment));
  return busy ? { image: running, held: true } : { image: defaultImage, held: false };
}
