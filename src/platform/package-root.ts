/**
 * Locates the installed package (the folder with Doklad's package.json), the same from src/ under
 * tsx and from dist/src/ when built, so files shipped beside the code (migrations) are found.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: { root: string; version: string } | undefined;

function locate(): { root: string; version: string } {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'package.json');
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'doklad') return { root: dir, version: pkg.version ?? '0.0.0' };
    }
    const parent = path.dirname(dir);
    if (parent === dir)
      throw new Error("Cannot find Doklad's package.json above " + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

export function packageRoot(): string {
  cached ??= locate();
  return cached.root;
}

export function packageVersion(): string {
  cached ??= locate();
  return cached.version;
}

export function migrationsDir(): string {
  return path.join(packageRoot(), 'prisma', 'migrations');
}
