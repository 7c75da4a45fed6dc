import { Type, type ObjectOptions, type Static, type TObject, type TOptional, type TProperties, type TSchema } from '@sinclair/typebox';
import { componentNames } from '../core/cluster.js';

/** Objects in experiment files never take unknown keys: a typo must fail, not be ignored. */
export function Strict<T extends TProperties>(properties: T, options: ObjectOptions = {}) {
  return Type.Object(properties, { additionalProperties: false, ...options });
}

export const Duration = (description = 'a duration such as 500ms, 30s, 5m or 1m30s') => Type.String({ format: 'duration', description });
export const Size = (description = 'a size such as 512Mi, 2Gi or 10Ki') => Type.String({ format: 'size', description });
export const Name = (description: string) => Type.String({ pattern: '^[a-z0-9]([a-z0-9-]*[a-z0-9])?$', maxLength: 63, description });
/** Whole numbers reach loops and allocations (objects, agents, clients): bounded far above any real experiment. */
export const PositiveInt = (description: string, maximum = 1_000_000) => Type.Integer({ minimum: 1, maximum, description });
export const Count = (description: string, maximum = 1_000_000) => Type.Integer({ minimum: 0, maximum, description });
/** A control-plane component, from the one list of them. */
export const ComponentParam = (description?: string) =>
  Type.Union(
    componentNames.map((c) => Type.Literal(c)),
    description ? { description } : {},
  );

/** How large a generated CRD's schema is: 3 fields, or as large as a big cloud-provider managed resource (load/objects/provider-crd-schema.ts). */
export const CrdShapeParam = (description: string) => Type.Union([Type.Literal('small'), Type.Literal('provider')], { description });

declare const defaulted: unique symbol;
/** An optional key with a default: the schema carries the value (editors show it, the loader fills it in). */
export type TDefault<T extends TSchema> = TOptional<T> & { readonly [defaulted]: true };

/** The one place a key's default lives: in its schema, read by the loader, the code (Resolved) and the docs. */
export function Default<T extends TSchema>(schema: T, value: Static<T>): TDefault<T> {
  return Type.Optional({ ...schema, default: value } as T) as TDefault<T>;
}

type DefaultedKeys<P extends TProperties> = { [K in keyof P]: P[K] extends { readonly [defaulted]: true } ? K : never }[keyof P];

/** An entry as code sees it once its defaults are filled in: every key with a Default is present. */
export type Resolved<T extends TObject> = Static<T> & { [K in DefaultedKeys<T['properties']> & keyof Static<T>]-?: Exclude<Static<T>[K], undefined> };
