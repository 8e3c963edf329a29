// Value sets a platform team would write: chart.test.ts lints and renders each, cluster.test.ts
// creates what each renders against a real kube-apiserver.

export const VALUE_SETS: Record<string, unknown> = {
  defaults: {},
  'a first proxy with an ingress, metrics for Prometheus, a disruption budget': {
    image: { repository: 'registry.corp.example/gomodproxy', tag: '0.1.0', pullPolicy: 'Always' },
    imagePullSecrets: [{ name: 'registry' }],
    proxyImage: 'registry.corp.example/gomodproxy:0.1.0',
    watchNamespace: 'goproxy',
    podDisruptionBudget: { enabled: true, minAvailable: 1 },
    metrics: { serviceMonitor: { enabled: true, interval: '15s', labels: { release: 'prometheus' } } },
    goproxyInjection: { enabled: true, configMapName: 'gomodproxy', namespaceLabels: { 'corp.example/go': 'yes' } },
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    tolerations: [{ key: 'infra', operator: 'Exists', effect: 'NoSchedule' }],
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } },
    proxy: {
      create: true,
      name: 'corp',
      spec: {
        replicas: 1,
        upstream: 'https://mirror.corp.example,direct',
        private: ['git.corp.example'],
        storage: { pvc: { size: '50Gi', accessModes: ['ReadWriteOnce'] } },
        clusterWide: { enabled: true },
      },
      ingress: { enabled: true, className: 'nginx', host: 'goproxy.corp.example', tls: [{ hosts: ['goproxy.corp.example'], secretName: 'goproxy-tls' }] },
    },
  },
  'a proxy on S3, no RBAC or service account of its own, one operator replica': {
    replicaCount: 1,
    rbac: { create: false },
    serviceAccount: { create: false, name: 'platform-operators' },
    metrics: { service: { enabled: false } },
    proxy: {
      create: true,
      spec: {
        replicas: 3,
        storage: { s3: { bucket: 'go-modules', endpoint: 'https://minio.corp.example:9000', credentialsSecretRef: { name: 'minio' } } },
      },
    },
  },
  'a proxy with tls, auth, access rules, a deny policy, an audit trail and .netrc tokens per namespace': {
    proxy: {
      create: true,
      spec: {
        service: { port: 443 },
        tls: { secretName: 'go-proxy-tls' },
        auth: { htpasswdSecretRef: { name: 'go-proxy-users' }, tokens: [{ name: 'ci', secretRef: { name: 'ci-token' } }], groups: { builders: ['ci', 'namespace:build'] } },
        access: { rules: [{ modules: ['git.corp.example/*'], allow: ['builders'] }], default: ['authenticated'] },
        policy: { deny: [{ module: 'github.com/acme/old', versions: ['<v1.2.0'], reason: 'CVE-2026-0001' }] },
        audit: { log: true, storage: true },
        clusterWide: { enabled: true, namespaceSelector: { matchLabels: { 'go-proxy': 'corp' } }, netrc: { enabled: true, rotation: 1 } },
      },
      ingress: { enabled: true, host: 'goproxy.corp.example', annotations: { 'nginx.ingress.kubernetes.io/backend-protocol': 'HTTPS' } },
    },
  },
};

