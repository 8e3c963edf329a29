/** GoModuleProxy resources for tests, with the defaults the apiserver would fill in. */
import { API_VERSION, KIND, goModuleProxySpecSchema, type GoModuleProxy, type GoModuleProxySpecInput } from '../../operator/api/goModuleProxy.ts';

export function goModuleProxy(spec: GoModuleProxySpecInput, name = 'corp', namespace = 'goproxy'): GoModuleProxy {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name, namespace, uid: '7d1c7a5e-0000-4000-8000-000000000001', generation: 1 },
    spec: goModuleProxySpecSchema.parse(spec),
  };
}
