import { Type, type TProperties, type ObjectOptions } from '@sinclair/typebox';
import { componentNames } from '../cluster/provider.js';

/** Objects in experiment files never take unknown keys: a typo must fail, not be ignored. */
export function Strict<T extends TProperties>(properties: T, options: ObjectOptions = {}) {
  return Type.Object(properties, { additionalProperties: false, ...options });
}

export const Duration = (description = 'a duration such as 500ms, 30s, 5m or 1m30s') => Type.String({ format: 'duration', description });
export const Size = (description = 'a size such as 512Mi, 2Gi or 10Ki') => Type.String({ format: 'size', description });
export const Name = (description: string) => Type.String({ pattern: '^[a-z0-9]([a-z0-9-]*[a-z0-9])?$', maxLength: 63, description });
export const PositiveInt = (description: string) => Type.Integer({ minimum: 1, description });
export const Count = (description: string) => Type.Integer({ minimum: 0, description });
/** A control-plane component, from the one list of them. */
export const ComponentParam = (description?: string) => Type.Union(componentNames.map((c) => Type.Literal(c)), description ? { description } : {});
