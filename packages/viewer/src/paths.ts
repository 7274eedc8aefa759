import { existsSync, realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { ViewerError } from './errors';

function inside(root: string, p: string): boolean {
  const r = relative(root, p);
  return r === '' || (!r.startsWith(`..${sep}`) && r !== '..' && !isAbsolute(r));
}

/**
 * Resolves a client-supplied relative path inside `root` and refuses everything else: absolute paths, `..` segments
 * that leave the root, NUL bytes, and symbolic links (anywhere on the way) whose target lies outside the root.
 * Returns the real path of an existing file or folder; throws ViewerError `OUTSIDE_ROOT` or `NOT_FOUND`.
 */
export function resolveInside(root: string, requested: string): string {
  if (typeof requested !== 'string' || requested === '') throw new ViewerError('BAD_REQUEST', 'empty path');
  if (requested.includes('\0')) throw new ViewerError('OUTSIDE_ROOT', `path ${JSON.stringify(requested)} contains a NUL byte`);
  if (isAbsolute(requested) || /^[a-zA-Z]:[\\/]/.test(requested) || requested.startsWith('\\')) {
    throw new ViewerError('OUTSIDE_ROOT', `absolute path "${requested}" refused: give a path relative to the served folder`);
  }
  const base = resolve(root);
  const p = resolve(base, requested);
  if (!inside(base, p)) throw new ViewerError('OUTSIDE_ROOT', `path "${requested}" leaves the served folder`);
  if (!existsSync(p)) throw new ViewerError('NOT_FOUND', `no file "${requested}" in the served folder`);
  const realBase = realpathSync(base);
  const real = realpathSync(p);
  if (!inside(realBase, real)) throw new ViewerError('OUTSIDE_ROOT', `path "${requested}" is a link to a place outside the served folder`);
  return real;
}
