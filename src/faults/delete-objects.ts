import { Name, PositiveInt, Default } from '../experiment/schema-parts.js';
import { defineFault, faultSchema, seededSet } from './types.js';

const schema = faultSchema('delete-objects', {
  set: Name('the seed set to delete from'),
  count: Default(PositiveInt('how many objects to delete'), 1),
});

/** Deletes seeded objects behind the experiment's back: the chaos equivalent of "kill a pod", and what objects-intact must catch. */
export const deleteObjects = defineFault({
  type: 'delete-objects',
  description: 'delete some objects of a seed set',
  schema,
  // The seed set's own objects, which the seeds' access covers.
  access: () => [],
  async run(params, context) {
    const set = seededSet(context, 'delete-objects', params.set);
    const victims = set.objects.slice(0, params.count);
    for (const object of victims) {
      const response = await context.client.request('DELETE', object.path, { signal: context.signal });
      context.event('object-deleted', `deleted ${object.path} (HTTP ${response.status})`, { path: object.path, status: response.status });
    }
  },
});
