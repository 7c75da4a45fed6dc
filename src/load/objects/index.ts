import type { SeedSet } from '../../experiment/schema.js';
import { configmaps } from './configmaps.js';
import { crds } from './crds.js';
import { customresources } from './customresources.js';
import { deployments } from './deployments.js';
import { namespaces } from './namespaces.js';
import { pods } from './pods.js';
import { secrets } from './secrets.js';
import { services } from './services.js';
import type { ObjectKind } from './types.js';

export const objectKinds: Record<SeedSet['kind'], ObjectKind> = { pods, configmaps, secrets, namespaces, deployments, services, crds, customresources };
