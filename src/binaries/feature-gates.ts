import { parseKubernetesVersion } from './versions.js';

export type GateStage = 'alpha' | 'beta' | 'ga' | 'deprecated';
/** From this minor on, the gate's stage and default (and whether it is locked to it); `null` once it is removed. */
type Change = [minor: number, stage: GateStage, defaultValue: boolean, locked?: true] | [minor: number, removed: null];

/**
 * The kube-apiserver feature gates that change LIST, watch and watch-cache behaviour, per
 * minor from 1.31 on. Read from the versioned specs in k8s.io/apiserver's
 * pkg/features/kube_features.go of each minor's newest patch (v0.31.14 .. v0.37.2); the
 * unit test checks every alpha and beta entry against the `--feature-gates` help of the
 * kube-apiserver binaries at hand. A minor newer than the table keeps the last entry.
 */
export const featureGateHistory: Record<string, Change[]> = {
  ConsistentListFromCache: [
    [31, 'beta', true],
    [34, 'ga', true, true],
    [37, null],
  ],
  WatchList: [
    [27, 'alpha', false],
    [32, 'beta', true],
    [33, 'beta', false],
    [34, 'beta', true],
  ],
  StreamingCollectionEncodingToJSON: [
    [33, 'beta', true],
    [34, 'ga', true, true],
    [37, null],
  ],
  StreamingCollectionEncodingToProtobuf: [
    [33, 'beta', true],
    [34, 'ga', true, true],
    [37, null],
  ],
  SizeBasedListCostEstimate: [[34, 'beta', true]],
  ListFromCacheSnapshot: [
    [33, 'alpha', false],
    [34, 'beta', true],
  ],
  ResilientWatchCacheInitialization: [
    [31, 'beta', true],
    [34, 'ga', true, true],
    [37, null],
  ],
  WatchCacheInitializationPostStartHook: [
    [31, 'beta', false],
    [36, 'beta', true],
    [37, 'ga', true, true],
  ],
  BtreeWatchCache: [
    [32, 'beta', true],
    [33, 'ga', true, true],
    [37, null],
  ],
  DetectCacheInconsistency: [[34, 'beta', true]],
  ConcurrentWatchObjectDecode: [
    [31, 'beta', false],
    [37, 'beta', true],
  ],
  SeparateCacheWatchRPC: [
    [28, 'beta', true],
    [33, 'deprecated', false],
    [36, 'deprecated', false, true],
  ],
  WatchFromStorageWithoutResourceVersion: [
    [30, 'beta', false],
    [33, 'deprecated', false, true],
    [36, null],
  ],
  WatchListCompression: [[37, 'beta', true]],
  EtcdRangeStream: [[37, 'beta', true]],
  ShardedListAndWatch: [[36, 'alpha', false]],
  ConsistentListFromCacheSkipTimeoutFallback: [[37, 'alpha', false]],
  APIListChunking: [
    [29, 'ga', true, true],
    [33, null],
  ],
  EfficientWatchResumption: [
    [24, 'ga', true, true],
    [33, null],
  ],
  WatchBookmark: [
    [17, 'ga', true, true],
    [33, null],
  ],
  APIResponseCompression: [[16, 'beta', true]],
};

export interface GateState {
  stage: GateStage;
  defaultValue: boolean;
  locked: boolean;
}

/** The gate in a given minor: its state, 'removed', 'not yet' (before it was added), or undefined when the table does not know the gate. */
export function gateAt(name: string, minor: number): GateState | 'removed' | 'not yet' | undefined {
  const history = featureGateHistory[name];
  if (!history) return undefined;
  const change = history.filter(([since]) => since <= minor).pop();
  if (!change) return 'not yet';
  if (change[1] === null) return 'removed';
  return { stage: change[1], defaultValue: change[2], locked: change[3] === true };
}

function lockedSince(name: string): number | undefined {
  return featureGateHistory[name]?.find((change) => change[3] === true)?.[0];
}

/** Why a Kubernetes version would refuse `name=value` at start, or undefined when it accepts it (or the gate is not in the table). */
export function featureGateProblem(name: string, value: boolean, kubernetesVersion: string): string | undefined {
  const { text, minor } = parseKubernetesVersion(kubernetesVersion);
  const state = gateAt(name, minor);
  const history = featureGateHistory[name] ?? [];
  if (state === 'not yet') return `Kubernetes ${text} does not have feature gate ${name} yet (it arrives in 1.${history[0]![0]})`;
  if (state === 'removed') {
    const removedIn = history.filter((change) => change[1] === null).pop()![0];
    const locked = lockedSince(name);
    const why = locked ? `GA and locked to true in 1.${locked}, ` : '';
    return `Kubernetes ${text} no longer accepts feature gate ${name} (${why}removed in 1.${removedIn}); drop it or run a version before 1.${removedIn}`;
  }
  if (state?.locked && value !== state.defaultValue)
    return `Kubernetes ${text} locks feature gate ${name} to ${state.defaultValue} (${state.stage === 'ga' ? 'GA' : state.stage} since 1.${lockedSince(name)}); it refuses ${name}=${value}`;
  return undefined;
}

/** Gates a version lists in `kube-apiserver --help` (alpha and beta ones; GA and deprecated gates are accepted but not listed). */
export function listedGates(minor: number): Map<string, GateState> {
  const listed = new Map<string, GateState>();
  for (const name of Object.keys(featureGateHistory)) {
    const state = gateAt(name, minor);
    if (typeof state === 'object' && (state.stage === 'alpha' || state.stage === 'beta')) listed.set(name, state);
  }
  return listed;
}
