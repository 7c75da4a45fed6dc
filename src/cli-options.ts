import { UsageError } from './errors.js';
import { componentNames, optionalComponents, type ComponentName } from './core/cluster.js';
import { parseBytes } from './units.js';

/** "controller-manager,scheduler" (apiserver and etcd always run, naming them is allowed). */
export function parseComponents(text: string): ComponentName[] {
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const name of names) {
    if (!(componentNames as readonly string[]).includes(name)) {
      throw new UsageError(`unknown component "${name}": expected any of ${componentNames.join(', ')}`);
    }
  }
  return names.filter((n): n is ComponentName => (optionalComponents as readonly string[]).includes(n));
}

/** "apiserver=2Gi,etcd=1Gi" */
export function parseMemoryLimits(text: string, previous: Partial<Record<ComponentName, number>> = {}): Partial<Record<ComponentName, number>> {
  const limits = { ...previous };
  for (const pair of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [component, size] = pair.split('=');
    if (!component || size === undefined) throw new UsageError(`invalid memory limit "${pair}": expected component=size, for example apiserver=2Gi`);
    if (!(componentNames as readonly string[]).includes(component)) {
      throw new UsageError(`unknown component "${component}" in --memory-limit: expected any of ${componentNames.join(', ')}`);
    }
    limits[component as ComponentName] = parseBytes(size);
  }
  return limits;
}

/** Repeatable "--apiserver-arg max-requests-inflight=400". */
export function collectKeyValue(text: string, previous: Record<string, string> = {}): Record<string, string> {
  const index = text.indexOf('=');
  if (index <= 0) throw new UsageError(`invalid argument "${text}": expected flag=value, for example max-requests-inflight=400`);
  return { ...previous, [text.slice(0, index).replace(/^--/, '')]: text.slice(index + 1) };
}

/** "WatchList=true,ConsistentListFromCache=false" */
export function parseFeatureGates(text: string, previous: Record<string, boolean> = {}): Record<string, boolean> {
  const gates = { ...previous };
  for (const pair of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const match = /^([A-Za-z0-9]+)=(true|false)$/.exec(pair);
    if (!match) throw new UsageError(`invalid feature gate "${pair}": expected Name=true or Name=false`);
    gates[match[1]!] = match[2] === 'true';
  }
  return gates;
}
