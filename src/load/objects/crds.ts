import type { ObjectKind } from './types.js';

export function crdNames(setName: string, index: number, groups: number) {
  const group = `g${index % groups}.${setName}.cpchaos.io`;
  const kind = `Chaos${index}`;
  const plural = `chaos${index}s`;
  return { group, kind, plural, version: 'v1' };
}

/** N CustomResourceDefinitions spread over G API groups, each with a small structural schema. */
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
        names: { kind, plural, singular: `chaos${index}`, listKind: `${kind}List` },
        versions: [
          {
            name: version,
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: {
                  spec: {
                    type: 'object',
                    properties: { size: { type: 'integer' }, payload: { type: 'string' }, tags: { type: 'array', items: { type: 'string' } } },
                  },
                  status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                },
              },
            },
          },
        ],
      },
    };
  },
};
