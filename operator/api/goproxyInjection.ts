/**
 * GOPROXY for every pod of the namespaces that ask for it, without editing their manifests: a
 * MutatingAdmissionPolicy (admissionregistration.k8s.io/v1, served and on by default from
 * Kubernetes 1.36) that adds the cluster-wide ConfigMap as `envFrom` (optional, so a pod starts where
 * it is not published) to each container of a pod created in a namespace labelled
 * INJECTION_LABEL=enabled. A variable the pod sets itself in `env` still wins over the ConfigMap,
 * and a container that already loads the ConfigMap is left alone. The apiserver runs it: no webhook,
 * no certificate, nothing of the operator's in the path of pod creation. The Helm chart renders
 * these objects (goproxyInjection.enabled); test/helm compares them with these.
 */
export const INJECTION_LABEL = 'gomodproxy.dev/inject-goproxy';

/** Containers beyond this index are left alone (CEL has no range over a list's indices). */
const MAX_CONTAINERS = 16;

function envFromExpression(configMapName: string): string {
  const indices = `[${Array.from({ length: MAX_CONTAINERS }, (_, i) => i).join(', ')}]`;
  const reference = `Object.spec.containers.envFrom{configMapRef: Object.spec.containers.envFrom.configMapRef{name: "${configMapName}", optional: true}}`;
  const loads = `(has(object.spec.containers[i].envFrom) && object.spec.containers[i].envFrom.exists(e, has(e.configMapRef) && e.configMapRef.name == "${configMapName}"))`;
  return [
    `${indices}.filter(i, i < size(object.spec.containers) && !${loads})`,
    `.map(i, has(object.spec.containers[i].envFrom)`,
    `  ? JSONPatch{op: "add", path: "/spec/containers/" + string(i) + "/envFrom/-", value: ${reference}}`,
    `  : JSONPatch{op: "add", path: "/spec/containers/" + string(i) + "/envFrom", value: [${reference}]})`,
  ].join('\n');
}

export function goproxyInjectionPolicy(name: string, configMapName = 'gomodproxy'): object {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingAdmissionPolicy',
    metadata: { name },
    spec: {
      matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] }] },
      // A pod is never refused for want of GOPROXY.
      failurePolicy: 'Ignore',
      reinvocationPolicy: 'IfNeeded',
      mutations: [{ patchType: 'JSONPatch', jsonPatch: { expression: envFromExpression(configMapName) } }],
    },
  };
}

export function goproxyInjectionBinding(name: string): object {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingAdmissionPolicyBinding',
    metadata: { name },
    spec: { policyName: name, matchResources: { namespaceSelector: { matchLabels: { [INJECTION_LABEL]: 'enabled' } } } },
  };
}
