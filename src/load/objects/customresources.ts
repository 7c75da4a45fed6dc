import type { ObjectKind } from './types.js';

function crdFor(context: Parameters<ObjectKind['build']>[0]) {
  const crd = context.crds?.[context.index % (context.crds?.length || 1)];
  if (!crd) throw new Error(`customresources set "${context.set.name}": the crds set "${context.set.crdSet}" created no CRDs`);
  return crd;
}

/** Custom resources spread round-robin over the kinds of a crds seed set. */
export const customresources: ObjectKind = {
  namespaced: true,
  collectionPath: (context) => {
    const crd = crdFor(context);
    return `/apis/${crd.group}/${crd.version}/namespaces/${context.namespace}/${crd.plural}`;
  },
  build: (context) => {
    const crd = crdFor(context);
    return {
      apiVersion: `${crd.group}/${crd.version}`,
      kind: crd.kind,
      metadata: { name: `${context.set.name}-${context.index}` },
      spec: { size: context.index, payload: `payload-${context.index}`, tags: ['cpchaos', context.set.name] },
    };
  },
};
