/** One memory cgroup holding one control-plane component. */
export interface MemoryCgroup {
  readonly path: string;
  /** The file a process writes its pid to in order to join. */
  readonly procsFile: string;
  setLimit(bytes: number | undefined): Promise<void>;
  limit(): Promise<number | undefined>;
  usage(): Promise<number>;
  peak(): Promise<number | undefined>;
  /** How many processes the kernel OOM-killed in this cgroup so far. */
  oomKills(): Promise<number>;
  pids(): Promise<number[]>;
  /** SIGKILLs whatever is still inside, then removes the folder. */
  remove(): Promise<void>;
}

export interface CgroupDriver {
  readonly version: 1 | 2;
  /** The folder under which cpchaos makes its cgroups. */
  readonly parent: string;
  create(relativePath: string): Promise<MemoryCgroup>;
}
