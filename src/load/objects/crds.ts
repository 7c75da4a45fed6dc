import { providerSchema } from './provider-crd-schema.js';
import type { BuildContext, ObjectKind } from './types.js';

export function crdNames(setName: string, index: number, groups: number) {
  const group = `g${index % groups}.${setName}.cpchaos.io`;
  const kind = `Chaos${index}`;
  const plural = `chaos${index}s`;
  return { group, kind, plural, version: 'v1' };
}

const smallSchema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      properties: { size: { type: 'integer' }, payload: { type: 'string' }, tags: { type: 'array', items: { type: 'string' } } },
    },
    status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
  },
};

/** The provider shape serves an older version beside the stored one, each with the whole schema, as provider CRDs do. */
function versionsOf(shape: NonNullable<BuildContext['set']['crdSchema']>, version: string) {
  if (shape === 'small') return [{ name: version, served: true, storage: true, schema: { openAPIV3Schema: smallSchema } }];
  const columns = ['Ready', 'Synced'].map((type) => ({
    jsonPath: `.status.conditions[?(@.type=='${type}')].status`,
    name: type.toUpperCase(),
    type: 'string',
  }));
  return [`${version}beta1`, version].map((name) => ({
    name,
    served: true,
    storage: name === version,
    additionalPrinterColumns: [...columns, { jsonPath: '.metadata.creationTimestamp', name: 'AGE', type: 'date' }],
    schema: { openAPIV3Schema: providerSchema() },
    subresources: { status: {} },
  }));
}

/** N CustomResourceDefinitions spread over G API groups, each with a small structural schema or a provider-sized one (`crdSchema`). */
export const crds: ObjectKind = {
  namespaced: false,
  collectionPath: () => '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
  build: ({ set, index }) => {
    const { group, kind, plural, version } = crdNames(set.name, index, set.groups ?? 1);
    return {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `${plural}.${group}` },
      spec: {
        group,
        scope: 'Namespaced',
        names: { kind, plural, singular: `chaos${index}`, listKind: `${kind}List`, categories: ['cpchaos'] },
        versions: versionsOf(set.crdSchema ?? 'small', version),
      },
    };
  },
};
