/**
 * The CustomResourceDefinition of GoModuleProxy, made from the zod schema: zod's JSON Schema made
 * into a Kubernetes structural schema (no additionalProperties: false, which the apiserver
 * refuses; unknown fields are pruned instead), with the status subresource and printer columns.
 * crds/ holds its YAML; test/operator/crd.test.ts fails when that file is stale.
 */
import yaml from 'js-yaml';
import { z } from 'zod';
import { GROUP, KIND, PLURAL, SINGULAR, VERSION, goModuleProxySpecSchema, goModuleProxyStatusSchema } from './goModuleProxy.ts';

type JsonSchema = { [key: string]: unknown };

/** The largest integers zod writes for an unbounded int: noise in a CRD, where int64 is implied. */
const SAFE_INTEGER_BOUNDS = new Set([Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]);

/** Rewrites one JSON Schema node (and its children) into what a structural CRD schema allows. */
function structural(node: JsonSchema): JsonSchema {
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$schema' || key === 'propertyNames') continue;
    if (key === 'additionalProperties') {
      // false: the apiserver prunes unknown fields anyway. {} next to preserve-unknown-fields: not structural.
      if (value === false || node['x-kubernetes-preserve-unknown-fields'] === true) continue;
      out[key] = structural(value as JsonSchema);
    } else if ((key === 'minimum' || key === 'maximum') && SAFE_INTEGER_BOUNDS.has(value as number)) {
      continue;
    } else if (key === 'pattern' && node['format'] === 'date-time') {
      continue;
    } else if (key === 'properties') {
      out[key] = Object.fromEntries(Object.entries(value as Record<string, JsonSchema>).map(([name, child]) => [name, structural(child)]));
    } else if (key === 'items') {
      out[key] = structural(value as JsonSchema);
    } else {
      out[key] = value;
    }
  }
  return out;
}

function openApiSchema(schema: z.ZodType): JsonSchema {
  // io: 'input' keeps defaults as defaults (the apiserver applies them) and fields with defaults optional.
  return structural(z.toJSONSchema(schema, { io: 'input', target: 'openapi-3.0', unrepresentable: 'throw' }) as JsonSchema);
}

export function goModuleProxyCrd(): JsonSchema {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${PLURAL}.${GROUP}` },
    spec: {
      group: GROUP,
      names: { kind: KIND, listKind: `${KIND}List`, plural: PLURAL, singular: SINGULAR, shortNames: ['gmp'], categories: ['gomodproxy'] },
      scope: 'Namespaced',
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
            { name: 'URL', type: 'string', jsonPath: '.status.url' },
            { name: 'Web', type: 'string', jsonPath: '.status.webUrl', priority: 1, description: 'The web page (kubectl get -o wide)' },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: {
            openAPIV3Schema: {
              description: 'A Go module proxy that the operator runs: a Deployment, Service, storage, settings and a cleanup CronJob.',
              type: 'object',
              required: ['spec'],
              'x-kubernetes-validations': [
                {
                  // The name is the Service's (a DNS label) and a label value (at most 63 characters).
                  rule: "self.metadata.name.size() <= 63 && self.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')",
                  message: 'metadata.name must be at most 63 characters of a-z, 0-9 and -, starting with a letter and ending with a letter or digit: it names the proxy\'s Service',
                },
              ],
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: openApiSchema(goModuleProxySpecSchema),
                status: openApiSchema(goModuleProxyStatusSchema),
              },
            },
          },
        },
      ],
    },
  };
}

/** The file in crds/, as generated. */
export const CRD_FILE = `${GROUP}_${PLURAL}.yaml`;

export function goModuleProxyCrdYaml(): string {
  const header = '# Generated from operator/api/goModuleProxy.ts by `npm run crds`. Do not edit.\n';
  return header + yaml.dump(goModuleProxyCrd(), { lineWidth: -1, noRefs: true, sortKeys: false });
}
