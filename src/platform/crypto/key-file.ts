/**
 * Development keys kept in files: read the file, or (when allowed) create it once with mode 0600.
 * Creation uses the exclusive 'wx' flag, so two processes starting together end up with the same
 * key instead of overwriting each other's.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

export async function readOrCreateKeyFile(
  file: string,
  options: { create: boolean; generate: () => string; settingHint: string },
): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || !options.create) {
      throw new Error(
        `Cannot read the key file ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'}). ${options.settingHint}`,
        {
          cause: error,
        },
      );
    }
  }
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    await writeFile(file, options.generate(), { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return readFile(file, 'utf8');
}
