import { Type, type Static, type TObject, type TProperties } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { Duration, type Resolved } from '../experiment/schema-parts.js';
import type { ApiAccess } from '../core/access.js';
import type { Capability, FaultContext, FaultPlugin } from '../core/plugin.js';

export type { FaultContext };

/** The schema of a fault's entry: the common keys plus the fault's own, nothing else. */
export function faultSchema<T extends TProperties>(type: string, properties: T) {
  return Type.Object(
    {
      type: Type.Literal(type),
      name: Type.Optional(Type.String({ description: 'a name for reports (default: the type)' })),
      at: Type.Optional(Duration('start this long after injection begins (default 0s)')),
      ...properties,
    },
    { additionalProperties: false },
  );
}

/**
 * A fault as one typed shape, in the manner of typescript-eslint's RuleCreator: its
 * schema carries every default once, and `run` gets its params with them filled in,
 * however it is called (the runner, a test, a bench).
 */
export function defineFault<T extends TObject>(definition: {
  type: string;
  description: string;
  schema: T;
  needs?: Capability[];
  relay?(params: Resolved<T>): boolean;
  access?(params: Resolved<T>): ApiAccess[];
  run(params: Resolved<T>, context: FaultContext): Promise<void>;
}): FaultPlugin<Static<T>> {
  const resolved = (params: Static<T>) => Value.Default(definition.schema, structuredClone(params)) as Resolved<T>;
  const { access, relay } = definition;
  return {
    ...definition,
    ...(access ? { access: (params: Static<T>) => access(resolved(params)) } : {}),
    ...(relay ? { relay: (params: Static<T>) => relay(resolved(params)) } : {}),
    run: (params, context) => definition.run(resolved(params), context),
  };
}

/** The seed set a fault works on (`set:`); the loader has checked the name, so a miss means it was not seeded. */
export function seededSet(context: FaultContext, fault: string, name: string): FaultContext['seeded'][number] {
  const set = context.seeded.find((s) => s.name === name);
  if (!set) throw new Error(`${fault}: no seed set named "${name}"`);
  return set;
}
