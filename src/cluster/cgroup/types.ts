import type { MemoryCgroup } from '../../core/cluster.js';

export interface CgroupDriver {
  readonly version: 1 | 2;
  /** The folder under which cpchaos makes its cgroups. */
  readonly parent: string;
  create(relativePath: string): Promise<MemoryCgroup>;
}
