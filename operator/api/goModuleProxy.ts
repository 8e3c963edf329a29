/**
 * The GoModuleProxy resource, group gomodproxy.dev, version v1alpha1: one zod schema from which
 * crds/ is generated (scripts in operator/api/crd.ts) and with which the operator reads what
 * the apiserver gives it. Defaults live here, so the apiserver fills them in and `kubectl get -o
 * yaml` shows what the operator works with. Rules that span fields are CEL rules in the CRD
 * (x-kubernetes-validations), so an invalid resource is refused by the apiserver with their message.
 */
import { z } from 'zod';
import { DEFAULT_UPSTREAM } from '../../proxy/config.ts';

export const GROUP = 'gomodproxy.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = 'GoModuleProxy';
export const PLURAL = 'gomoduleproxies';
export const SINGULAR = 'gomoduleproxy';

const dnsLabel = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);

/** A Kubernetes resource quantity such as 50Gi, 500m or 2. */
const quantity = z
  .string()
  .max(64)
  .regex(/^[0-9]+(\.[0-9]+)?(m|k|Ki|M|Mi|G|Gi|T|Ti|P|Pi|E|Ei)?$/);

const secretKeyReference = z
  .object({
    name: dnsLabel.meta({ description: 'A Secret in the GoModuleProxy\'s namespace.' }),
    key: z.string().min(1).max(253).default('token').meta({ description: 'The key in the Secret holding the value.' }),
  })
  .strict();

const gitCredential = z
  .object({
    host: z.string().min(1).max(253).meta({ description: 'The git host, e.g. git.corp.example.' }),
    url: z.string().min(1).max(2048).optional().meta({ description: 'Base URL of the host\'s repositories (default https://<host>).' }),
    username: z.string().min(1).max(253).optional().meta({ description: 'User name sent with the token (default git).' }),
    secretRef: secretKeyReference.meta({ description: 'The Secret holding the token or password for https.' }),
  })
  .strict();

const ACCESS_MODES = ['ReadWriteOnce', 'ReadWriteMany', 'ReadWriteOncePod', 'ReadOnlyMany'] as const;

const pvcStorage = z
  .object({
    storageClassName: z.string().min(1).max(253).optional().meta({ description: 'The storage class (default: the cluster\'s default class).' }),
    size: quantity.default('10Gi').meta({ description: 'The volume size requested.' }),
    accessModes: z.array(z.enum(ACCESS_MODES)).min(1).max(4).default(['ReadWriteOnce']),
    deleteWithProxy: z
      .boolean()
      .default(false)
      .meta({ description: 'Delete the volume, and the modules on it, when the GoModuleProxy is deleted. By default the PVC is kept.' }),
  })
  .strict()
  .meta({
    // A PersistentVolumeClaim's class and access modes are fixed when it is made, and it can grow
    // but never shrink: refused here, with what to do, rather than by the apiserver at every apply.
    'x-kubernetes-validations': [
      {
        rule: '(has(self.storageClassName) ? self.storageClassName : "") == (has(oldSelf.storageClassName) ? oldSelf.storageClassName : "")',
        message: 'storage.pvc.storageClassName cannot change: a PersistentVolumeClaim keeps its class; make a new GoModuleProxy (or delete the PVC) to move the modules to another class',
      },
      {
        rule: 'self.accessModes == oldSelf.accessModes',
        message: 'storage.pvc.accessModes cannot change: a PersistentVolumeClaim keeps its access modes; make a new GoModuleProxy (or delete the PVC)',
      },
      {
        rule: 'quantity(self.size).compareTo(quantity(oldSelf.size)) >= 0',
        message: 'storage.pvc.size cannot shrink: a PersistentVolumeClaim only grows (and only when its storage class allows expansion)',
      },
    ],
  });

const s3Storage = z
  .object({
    bucket: z.string().min(3).max(63),
    endpoint: z.string().min(1).max(2048).optional().meta({ description: 'An S3-compatible endpoint URL (default: AWS for the region).' }),
    region: z.string().min(1).max(64).default('us-east-1'),
    prefix: z.string().max(1024).optional(),
    credentialsSecretRef: z
      .object({ name: dnsLabel })
      .strict()
      .meta({ description: 'A Secret with the keys AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.' }),
  })
  .strict();

const storage = z
  .object({ pvc: pvcStorage.optional(), s3: s3Storage.optional() })
  .strict()
  .meta({
    description: 'Where the proxy keeps modules: a PersistentVolumeClaim or an S3 bucket.',
    'x-kubernetes-validations': [{ rule: 'has(self.pvc) != has(self.s3)', message: 'storage: set exactly one of pvc or s3' }],
  });

const resources = z
  .object({
    requests: z.record(z.string(), quantity).optional(),
    limits: z.record(z.string(), quantity).optional(),
  })
  .strict();

const retention = z
  .object({
    keepSince: z.string().regex(/^[0-9]+(ms|s|m|h|d)$/).max(32).default('180d').meta({ description: 'Keep every version fetched or served within this time.' }),
    keepLatest: z.number().int().min(0).max(1000).default(3).meta({ description: 'Always keep this many latest versions of each module.' }),
    schedule: z.string().min(1).max(128).default('17 3 * * *').meta({ description: 'When the cleanup CronJob runs (cron syntax).' }),
    activeDeadlineSeconds: z
      .number()
      .int()
      .min(60)
      .max(86_400)
      .default(3600)
      .meta({ description: 'A cleanup still running after this long is stopped (it removes in batches; the next run goes on).' }),
    resources: resources
      .optional()
      .meta({ description: 'The cleanup container\'s resources (default: requests of 50m CPU and 128Mi memory).' }),
  })
  .strict();

/** Kubernetes' own types that the operator passes to the pod unread: kept as they are. */
const passThroughObject = z.record(z.string(), z.unknown()).meta({ 'x-kubernetes-preserve-unknown-fields': true });

const scheduling = z
  .object({
    nodeSelector: z.record(z.string(), z.string()).optional(),
    tolerations: z.array(passThroughObject).max(64).optional(),
    affinity: passThroughObject.optional(),
  })
  .strict();

const localObjectReference = z.object({ name: dnsLabel }).strict();

const pod = z
  .object({
    labels: z.record(z.string(), z.string().max(63)).optional().meta({ description: 'Labels added to the proxy\'s pods (the operator\'s own labels win).' }),
    annotations: z.record(z.string(), z.string()).optional().meta({ description: 'Annotations added to the proxy\'s pods.' }),
    imagePullSecrets: z.array(localObjectReference).max(16).optional().meta({ description: 'Secrets for pulling the image from a private registry.' }),
    serviceAccountName: dnsLabel
      .optional()
      .meta({ description: 'The pods\' service account, e.g. one bound to a cloud role for S3 (workload identity). Its API token is still not mounted.' }),
    priorityClassName: z.string().min(1).max(253).optional(),
    topologySpreadConstraints: z.array(passThroughObject).max(16).optional().meta({ description: 'As in a pod spec; the proxy\'s pods are selected by its labels.' }),
    gitCacheSizeLimit: quantity.default('5Gi').meta({ description: 'The most the git clones of private modules may take on the node\'s disk (an emptyDir).' }),
    tmpSizeLimit: quantity.default('2Gi').meta({ description: 'The most /tmp may take (downloads are checked there before S3 stores them).' }),
  })
  .strict();

const networkPolicy = z
  .object({
    enabled: z.boolean().default(false),
    from: z
      .array(passThroughObject)
      .max(32)
      .default([])
      .meta({ description: 'NetworkPolicyPeers allowed to reach the proxy\'s port (empty: every pod in the cluster); egress is not restricted.' }),
  })
  .strict();

const service = z
  .object({
    type: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer']).default('ClusterIP'),
    port: z.number().int().min(1).max(65535).default(80),
  })
  .strict();

const labelSelector = z
  .object({
    matchLabels: z.record(z.string(), z.string()).optional(),
    matchExpressions: z
      .array(
        z
          .object({
            key: z.string().min(1).max(317),
            operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
            values: z.array(z.string().max(63)).max(64).optional(),
          })
          .strict(),
      )
      .max(32)
      .optional(),
  })
  .strict();


// --- Who may fetch what (auth, access, policy, audit, tls) and the per-namespace .netrc tokens.
// The proxy's own settings (proxy/config.ts) in the resource's terms: files come from Secrets
// that the operator mounts, and the ConfigMap it renders is checked by the proxy's schema.

/** A name in an access list: a user, a token name, a group, `authenticated` or `anonymous`. */
const principal = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._@:-]*$/);

const authTokenReference = z
  .object({
    name: principal.meta({ description: 'The identity the token signs in as (e.g. ci-build).' }),
    secretRef: secretKeyReference
      .extend({ key: z.string().min(1).max(253).default('sha256').meta({ description: 'The key holding the token\'s SHA-256 in hex (printf %s "$TOKEN" | sha256sum); never the token.' }) })
      .meta({ description: 'The Secret holding the token\'s SHA-256.' }),
  })
  .strict();

const auth = z
  .object({
    htpasswdSecretRef: secretKeyReference
      .extend({ key: z.string().min(1).max(253).default('htpasswd').meta({ description: 'The key holding the htpasswd file.' }) })
      .optional()
      .meta({ description: 'A Secret holding an Apache htpasswd file with bcrypt hashes (htpasswd -B). The proxy re-reads it when the Secret changes.' }),
    tokens: z
      .array(authTokenReference)
      .max(256)
      .default([])
      .meta({ description: 'Named tokens, each from a Secret holding its SHA-256. A changed Secret rolls the pods.' }),
    groups: z
      .record(principal, z.array(principal).max(1024))
      .optional()
      .meta({ description: 'Groups for access rules: a name and its members (users, token names, namespace:<name> identities).' }),
    metrics: z.array(principal).max(64).optional().meta({ description: 'Who may read /metrics (default: as access.default).' }),
  })
  .strict();

const accessRule = z
  .object({
    modules: z.array(z.string().min(1).max(1024)).min(1).max(256).meta({ description: 'GOPRIVATE-style patterns of module paths.' }),
    allow: z.array(principal).max(1024).meta({ description: 'Users, tokens, groups, namespace:<name>, authenticated or anonymous; [] for nobody.' }),
  })
  .strict();

const access = z
  .object({
    rules: z.array(accessRule).max(256).default([]).meta({ description: 'Ordered rules; the first whose patterns match a module path decides.' }),
    default: z.array(principal).max(1024).optional().meta({ description: 'Who may read a module no rule matches (default: authenticated with auth, else anonymous).' }),
  })
  .strict();

const policy = z
  .object({
    deny: z
      .array(
        z
          .object({
            module: z.string().min(1).max(1024).meta({ description: 'A GOPRIVATE-style pattern.' }),
            versions: z.array(z.string().min(1).max(256)).min(1).max(64).optional().meta({ description: 'Versions or ranges (e.g. "<v1.2.3"); every version when left out.' }),
            reason: z.string().min(1).max(500).meta({ description: 'Shown to the go command and in the audit trail.' }),
          })
          .strict(),
      )
      .max(1024)
      .default([]),
    allow: z.array(z.string().min(1).max(1024)).min(1).max(256).optional().meta({ description: 'Allow-list mode: only modules matching these patterns are fetched.' }),
    vulnerable: z
      .object({
        action: z
          .enum(['allow', 'warn', 'deny'])
          .default('warn')
          .meta({
            description:
              'What the proxy does with a version an advisory of the vulnerability database affects: allow (served, not looked up), warn (served, recorded in the audit trail and metrics), deny (403 naming the advisories and fixed versions, left out of list and @latest).',
          }),
        ids: z
          .array(z.string().min(1).max(64))
          .min(1)
          .max(1024)
          .optional()
          .meta({ description: 'Apply the action to these advisories only, by Go ID or alias (GO-2024-1234, CVE-2024-12345, GHSA-…); the others are recorded as with warn.' }),
      })
      .strict()
      .optional()
      .meta({ description: "Vulnerable versions (the proxy's policy.vulnerable; default warn). Needs spec.vulndb enabled to find any." }),
  })
  .strict();

const audit = z
  .object({
    log: z.boolean().default(true).meta({ description: 'One audit JSON line per download and per refused request on the proxy\'s log stream.' }),
    storage: z.boolean().default(false).meta({ description: 'Also keep the lines as day files in the module store (replicas sharing a bucket share one trail); read them with gomodproxy audit.' }),
  })
  .strict();

const tls = z
  .object({
    secretName: dnsLabel.meta({
      description: 'A kubernetes.io/tls Secret (tls.crt, tls.key), e.g. from cert-manager, mounted read-only. The proxy reloads it when it changes: a rotation does not restart the pods.',
    }),
  })
  .strict();

const netrc = z
  .object({
    enabled: z.boolean().default(false),
    secretName: dnsLabel.default('gomodproxy-netrc').meta({ description: 'Name of the Secret with a .netrc (key .netrc) and the bare token (key token) in each selected namespace.' }),
    rotation: z
      .number()
      .int()
      .min(0)
      .max(2_147_483_647)
      .default(0)
      .meta({ description: 'Change this number to issue new tokens in every selected namespace; the old ones stop working when the proxy\'s pods have rolled.' }),
  })
  .strict()
  .meta({ description: 'A token per selected namespace (identity namespace:<name>) written there as a .netrc Secret; a pod mounts it and sets NETRC. Needs spec.tls: the go command sends credentials only over https.' });

/** The spec's fields about access, validated by CEL where they span fields. */
const accessFields = {
  auth: auth.optional().meta({ description: 'Who may sign in: an htpasswd file and named tokens from Secrets (needs tls: the go command sends credentials only over https).' }),
  access: access.optional().meta({ description: 'Who may read which modules (the proxy\'s access rules).' }),
  policy: policy.optional().meta({ description: 'Module versions never served, and allow-list mode.' }),
  audit: audit.optional().meta({ description: 'The audit trail: who fetched what.' }),
  tls: tls.optional().meta({ description: 'Serve https with the certificate of a TLS Secret.' }),
};

const accessValidations = [
  {
    rule: '!has(self.clusterWide.netrc) || !self.clusterWide.netrc.enabled || (has(self.tls) && self.clusterWide.enabled)',
    message: 'clusterWide.netrc needs clusterWide.enabled and spec.tls: the tokens go to the selected namespaces, and the go command sends .netrc credentials only over https',
  },
];

const clusterWide = z
  .object({
    enabled: z.boolean().default(false),
    namespaceSelector: labelSelector.default({}).meta({ description: 'Namespaces that get the ConfigMap (empty: every namespace).' }),
    configMapName: dnsLabel.default('gomodproxy').meta({ description: 'Name of the ConfigMap with GOPROXY, GONOSUMDB, GOPRIVATE and GOSUMDB.' }),
    netrc: netrc.optional(),
  })
  .strict();

/** The Go vulnerability database mirror (the proxy's vulndb setting). */
const vulndb = z
  .object({
    enabled: z.boolean().default(true).meta({ description: 'Mirror the database (served under /vulndb/ for govulncheck, read by policy.vulnerable); false turns the mirror off.' }),
    url: z
      .string()
      .regex(/^https?:\/\/[^\s@]+$/)
      .max(1024)
      .optional()
      .meta({ description: 'The database to mirror: https://vuln.go.dev (the default), an internal copy, or another gomodproxy\'s /vulndb.' }),
    refresh: z.string().regex(/^[0-9]+(ms|s|m|h|d)$/).max(16).optional().meta({ description: 'How often the database is checked for changes (default 1h).' }),
  })
  .strict();

/** Scraping the proxy's /metrics by the Prometheus operator. */
const monitoring = z
  .object({
    podMonitor: z
      .object({
        enabled: z.boolean().default(false).meta({ description: 'Make the PodMonitor; false deletes one made before.' }),
        interval: z.string().regex(/^[0-9]+(ms|s|m|h)$/).max(16).default('30s').meta({ description: 'How often Prometheus scrapes /metrics.' }),
        labels: z
          .record(z.string(), z.string().max(63))
          .optional()
          .meta({ description: 'Labels on the PodMonitor, e.g. the one your Prometheus selects PodMonitors by (release: prometheus).' }),
      })
      .strict()
      .meta({ description: 'A monitoring.coreos.com/v1 PodMonitor for the proxy\'s pods; the cluster must serve that kind (the Prometheus operator\'s CRDs).' }),
  })
  .strict();

export const goModuleProxySpecSchema = z
  .object({
    replicas: z.number().int().min(0).max(100).default(1),
    image: z.string().min(1).max(1024).optional().meta({ description: 'The proxy image (default: the operator\'s --proxy-image).' }),
    upstream: z.string().min(1).max(4096).default(DEFAULT_UPSTREAM).meta({ description: 'Upstream proxies in GOPROXY syntax.' }),
    private: z.array(z.string().min(1).max(1024)).max(256).default([]).meta({ description: 'GOPRIVATE patterns: fetched from git, never from an upstream.' }),
    nosumdb: z.array(z.string().min(1).max(1024)).max(256).default([]).meta({ description: 'GONOSUMDB patterns (private is implied).' }),
    sumdb: z.string().min(1).max(1024).default('sum.golang.org').meta({ description: 'GOSUMDB syntax.' }),
    gitCredentials: z.array(gitCredential).max(64).default([]),
    storage,
    retention: retention.default({ keepSince: '180d', keepLatest: 3, schedule: '17 3 * * *', activeDeadlineSeconds: 3600 }),
    resources: resources.optional(),
    scheduling: scheduling.optional(),
    networkPolicy: networkPolicy.optional().meta({ description: 'A NetworkPolicy that admits clients to the proxy\'s port only.' }),
    pod: pod.default({ gitCacheSizeLimit: '5Gi', tmpSizeLimit: '2Gi' }),
    service: service.default({ type: 'ClusterIP', port: 80 }),
    clusterWide: clusterWide.default({ enabled: false, namespaceSelector: {}, configMapName: 'gomodproxy' }),
    monitoring: monitoring.optional(),
    vulndb: vulndb.optional().meta({ description: 'The Go vulnerability database mirror (default: https://vuln.go.dev, refreshed every hour).' }),
    ...accessFields,
  })
  .strict()
  .meta({
    'x-kubernetes-validations': [
      {
        rule: "self.replicas <= 1 || has(self.storage.s3) || (has(self.storage.pvc) && 'ReadWriteMany' in self.storage.pvc.accessModes)",
        message: 'replicas > 1 needs storage.s3 or storage.pvc.accessModes [ReadWriteMany]: several pods cannot share a ReadWriteOnce volume',
      },
      {
        rule: "!has(self.storage.pvc) || !('ReadWriteOncePod' in self.storage.pvc.accessModes)",
        message:
          'storage.pvc.accessModes ReadWriteOncePod: the cleanup job could never mount the volume beside the serving pod; use ReadWriteOnce (the job is scheduled on the serving pod\'s node) or ReadWriteMany',
      },
      ...accessValidations,
    ],
  });

export const CONDITION_TYPES = ['Ready', 'Progressing', 'Degraded'] as const;
export type ConditionType = (typeof CONDITION_TYPES)[number];

/** metav1.Condition. */
export const conditionSchema = z
  .object({
    type: z.string().min(1).max(316),
    status: z.enum(['True', 'False', 'Unknown']),
    observedGeneration: z.number().int().min(0).optional(),
    lastTransitionTime: z.string().meta({ format: 'date-time' }),
    reason: z.string().min(1).max(1024),
    message: z.string().max(32768),
  })
  .strict();

/**
 * The last cleanup that succeeded: when it finished, how many versions it removed and the bytes
 * freed. The cleanup job reports it as its container's termination message.
 */
export const lastCleanupSchema = z
  .object({
    time: z.string().meta({ format: 'date-time' }),
    removedVersions: z.number().int().min(0),
    freedBytes: z.number().int().min(0),
  })
  .strict();

/** The vulnerability database snapshot the proxy serves from, as a ready pod reports it (GET /vulndb/status). */
export const vulndbStatusSchema = z
  .object({
    url: z.string().meta({ description: 'The database the proxy mirrors.' }),
    modified: z.string().optional().meta({ description: "The database's modified time (index/db.json) of the snapshot in use; absent before the first one." }),
    lastRefresh: z.string().optional().meta({ description: 'When the source last confirmed or replaced the snapshot.' }),
    stale: z.boolean().meta({ description: 'True while the last refresh failed (the snapshot is still served).' }),
    lastFailure: z.string().optional().meta({ description: 'Why the last refresh failed, when it did.' }),
  })
  .strict();

export const goModuleProxyStatusSchema = z
  .object({
    observedGeneration: z.number().int().min(0).optional(),
    url: z.string().optional().meta({ description: 'Where clients reach the proxy: GOPROXY=<url>.' }),
    webUrl: z.string().optional().meta({ description: 'The proxy\'s web page (search, usage, health), served by the proxy itself; its JSON API is under <webUrl>api/.' }),
    readyReplicas: z.number().int().min(0).optional(),
    conditions: z
      .array(conditionSchema)
      .max(16)
      .optional()
      .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] }),
    lastCleanup: lastCleanupSchema.optional(),
    vulndb: vulndbStatusSchema.optional(),
  })
  .strict();

export type GoModuleProxySpec = z.output<typeof goModuleProxySpecSchema>;
export type GoModuleProxySpecInput = z.input<typeof goModuleProxySpecSchema>;
export type GoModuleProxyStatus = z.output<typeof goModuleProxyStatusSchema>;
export type Condition = z.output<typeof conditionSchema>;
export type LastCleanup = z.output<typeof lastCleanupSchema>;
export type VulndbStatus = z.output<typeof vulndbStatusSchema>;

/** The metadata fields the operator reads and writes. */
export type ObjectMeta = {
  name: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  deletionTimestamp?: string;
  finalizers?: string[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  creationTimestamp?: string;
};

export type GoModuleProxy = {
  apiVersion: typeof API_VERSION;
  kind: typeof KIND;
  metadata: ObjectMeta & { namespace: string; uid: string };
  spec: GoModuleProxySpec;
  status?: GoModuleProxyStatus;
};

/** Reads a spec as the apiserver stored it; the message says which field is wrong and why. */
export function parseSpec(spec: unknown): { ok: true; spec: GoModuleProxySpec } | { ok: false; message: string } {
  const result = goModuleProxySpecSchema.safeParse(spec);
  if (result.success) return { ok: true, spec: result.data };
  const issue = result.error.issues[0]!;
  return { ok: false, message: `spec.${issue.path.map(String).join('.')}: ${issue.message}` };
}
