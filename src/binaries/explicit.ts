import fs from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors.js';
import type { BinaryName } from './types.js';

/** CPCHAOS_KUBE_APISERVER, CPCHAOS_ETCD, ... name one binary each. */
export function envVarFor(name: BinaryName): string {
  return `CPCHAOS_${name.toUpperCase().replaceAll('-', '_')}`;
}

export interface ExplicitOptions {
  /** A folder holding some or all of the binaries (flag --bin-dir or CPCHAOS_BIN_DIR). */
  binDir?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * A binary the user pointed at. A named path that does not exist is an error,
 * never a silent fall-through to another source: the user asked for that file.
 */
export async function explicitBinary(name: BinaryName, options: ExplicitOptions): Promise<string | undefined> {
  const env = options.env ?? process.env;
  const fromEnv = env[envVarFor(name)];
  if (fromEnv) return checkExecutable(path.resolve(fromEnv), `${envVarFor(name)}`);
  const binDir = options.binDir ?? env.CPCHAOS_BIN_DIR;
  if (binDir) {
    const candidate = path.resolve(binDir, name);
    try {
      await fs.access(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

async function checkExecutable(file: string, origin: string): Promise<string> {
  try {
    await fs.access(file, fs.constants.X_OK);
    return file;
  } catch {
    throw new UsageError(`${origin} names ${file}, which is not an executable file`);
  }
}
