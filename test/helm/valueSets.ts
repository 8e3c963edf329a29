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
};

