/**
 * The upstream schemas and samples kept beside the project for conformance checks (read, never
 * copied). `MW_REFERENCE_DIR` overrides; otherwise the workspace's shared reference folder.
 */
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

export function referenceDir(): URL {
  const candidates = [
    process.env.MW_REFERENCE_DIR,
    new URL('../../../shared/reference/', import.meta.url).pathname,
    '/work/shared/reference',
  ].filter((p): p is string => !!p);
  const found = candidates.find((p) => existsSync(p)) ?? candidates[0]!;
  return pathToFileURL(found.endsWith('/') ? found : `${found}/`);
}
