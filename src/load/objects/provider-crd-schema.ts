/**
 * An OpenAPI v3 schema as large and as deep as a big cloud-provider managed resource's.
 * Measured model: crossplane-contrib/provider-upjet-aws at 75a4c57,
 * package/crds/ec2.aws.upbound.io_instances.yaml (350 KB of YAML, the 99th percentile by
 * size of that provider's 2,065 CRDs): two served versions, each schema 104.8 KB of
 * compact JSON with 514 properties nested 7 levels deep (properties, items and
 * additionalProperties each count a level). Shaped the way upjet writes them: the
 * resource's fields three times (spec.forProvider, spec.initProvider,
 * status.atProvider), blocks as arrays of objects holding blocks of their own,
 * references with their selector and policy, and a description on every field.
 * Generated, not copied: names and descriptions are made up.
 */
type Schema = Record<string, unknown>;

const sentence = 'Value passed to the provider API when the external resource is created or updated. Changing it may replace the resource (see the docs).';

function field(name: string, index: number): Schema {
  const types = ['string', 'number', 'boolean', 'string'] as const;
  return { description: `${name}: ${sentence}`, type: types[index % types.length] };
}

function scalars(prefix: string, count: number): Record<string, Schema> {
  return Object.fromEntries(Array.from({ length: count }, (_, i) => [`${prefix}Setting${i}`, field(`${prefix}Setting${i}`, i)]));
}

function block(prefix: string, fields: number, nested: number, nestedFields: number): Schema {
  const inner = Object.fromEntries(Array.from({ length: nested }, (_, i) => [`${prefix}Detail${i}`, block(`${prefix}Detail${i}`, nestedFields, 0, 0)]));
  return {
    description: `${prefix}: ${sentence}`,
    type: 'array',
    items: { type: 'object', properties: { ...scalars(prefix, fields), ...inner } },
  };
}

function policy(): Schema {
  const choice = (values: string[]) => ({ description: `One of ${values.join(', ')}. ${sentence}`, enum: values, type: 'string' });
  return {
    description: 'Policies for referencing.',
    type: 'object',
    properties: { resolution: choice(['Required', 'Optional']), resolve: choice(['Always', 'IfNotPresent']) },
  };
}

function reference(name: string): Record<string, Schema> {
  return {
    [`${name}Ref`]: {
      description: `Reference to populate ${name}.`,
      type: 'object',
      required: ['name'],
      properties: { name: field('name', 0), policy: policy() },
    },
    [`${name}Selector`]: {
      description: `Selector to populate ${name}.`,
      type: 'object',
      properties: {
        matchControllerRef: field('matchControllerRef', 2),
        matchLabels: { additionalProperties: { type: 'string' }, type: 'object' },
        policy: policy(),
      },
    },
  };
}

/** The resource's own fields: what upjet repeats in forProvider, initProvider and atProvider. */
function resourceFields(): Schema {
  const blocks = Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`block${i}`, block(`block${i}`, 6, 2, 3)]));
  return { type: 'object', properties: { ...scalars('field', 35), ...blocks, ...reference('kmsKeyId'), ...reference('subnetId') } };
}

let cached: Schema | undefined;

export function providerSchema(): Schema {
  cached ??= {
    description: `Instance is the Schema for the Instances API. ${sentence}`,
    type: 'object',
    required: ['spec'],
    properties: {
      apiVersion: field('apiVersion', 0),
      kind: field('kind', 0),
      metadata: { type: 'object' },
      spec: {
        type: 'object',
        properties: {
          deletionPolicy: { default: 'Delete', enum: ['Orphan', 'Delete'], type: 'string', description: sentence },
          forProvider: resourceFields(),
          initProvider: resourceFields(),
          managementPolicies: {
            default: ['*'],
            items: { enum: ['Observe', 'Create', 'Update', 'Delete', 'LateInitialize', '*'], type: 'string' },
            type: 'array',
          },
          providerConfigRef: { default: { name: 'default' }, type: 'object', properties: { name: field('name', 0), policy: policy() } },
          writeConnectionSecretToRef: {
            type: 'object',
            required: ['name', 'namespace'],
            properties: { name: field('name', 0), namespace: field('namespace', 0) },
          },
        },
      },
      status: {
        type: 'object',
        properties: {
          atProvider: resourceFields(),
          conditions: {
            type: 'array',
            'x-kubernetes-list-map-keys': ['type'],
            'x-kubernetes-list-type': 'map',
            items: {
              type: 'object',
              required: ['lastTransitionTime', 'reason', 'status', 'type'],
              properties: {
                ...scalars('condition', 4),
                lastTransitionTime: { format: 'date-time', type: 'string' },
                reason: field('reason', 0),
                status: field('status', 0),
                type: field('type', 0),
              },
            },
          },
          observedGeneration: { format: 'int64', type: 'integer' },
        },
      },
    },
  };
  return cached;
}
