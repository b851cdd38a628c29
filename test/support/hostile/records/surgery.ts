/** Object surgery: every node of an event, the parent of a path, an own property by definition. */

export type Path = Array<string>;

export function nodesOf(
  root: unknown,
  path: Path = [],
  out: Array<{ path: Path; value: unknown }> = [],
): Array<{ path: Path; value: unknown }> {
  out.push({ path, value: root });
  if (root !== null && typeof root === 'object')
    for (const [k, v] of Object.entries(root)) nodesOf(v, [...path, k], out);
  return out;
}

export function parentOf(root: any, path: Path): any {
  let node = root;
  for (const k of path.slice(0, -1)) node = node[k];
  return node;
}

export function defineOwn(obj: any, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}
