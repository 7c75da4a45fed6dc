import fs from 'node:fs/promises';

/** Whether something is at the path; any error (missing, no permission) is no. */
export const pathExists = (p: string): Promise<boolean> =>
  fs.access(p).then(
    () => true,
    () => false,
  );

/** Whether the path is a folder; missing is no. */
export const isDirectory = (p: string): Promise<boolean> =>
  fs.stat(p).then(
    (s) => s.isDirectory(),
    () => false,
  );
