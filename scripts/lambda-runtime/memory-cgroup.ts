/**
 * The memory limit of a local sandbox: a Linux memory cgroup at the function's memory size, so the kernel kills the
 * runtime the way Lambda's sandbox does when a function uses more than its memory size ("Configure Lambda function
 * memory", https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html). cgroup v1 (`memory` controller,
 * `memory.limit_in_bytes`) and v2 (`memory.max`) are both used where writable; creating one needs root (or a
 * delegated subtree). Where neither is, {@link memoryCgroupSupport} says why and the sandbox runs without a limit.
 *
 * Each cgroup is created below the cgroup this process is in, so it never escapes a limit the machine already set.
 */
import { accessSync, constants, existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const V1_ROOT = '/sys/fs/cgroup/memory';
const V2_ROOT = '/sys/fs/cgroup';

export type MemoryCgroupSupport =
  | { readonly available: true; readonly version: 1 | 2; readonly parent: string }
  | { readonly available: false; readonly reason: string };

/** The cgroup path of this process for controller `memory` (v1) or the unified hierarchy (v2), from /proc/self/cgroup. */
function ownCgroup(version: 1 | 2): string | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/self/cgroup', 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const [id, controllers, path] = line.split(':');
    if (path === undefined) continue;
    if (version === 1 && controllers!.split(',').includes('memory')) return path;
    if (version === 2 && id === '0' && controllers === '') return path;
  }
  return undefined;
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Where memory cgroups can be made here, or why not (in words a user can act on). */
export function memoryCgroupSupport(): MemoryCgroupSupport {
  const reasons: string[] = [];
  const v1 = ownCgroup(1);
  if (v1 !== undefined && existsSync(join(V1_ROOT, 'memory.limit_in_bytes'))) {
    const parent = join(V1_ROOT, v1);
    if (writable(parent)) return { available: true, version: 1, parent };
    reasons.push(`cgroup v1 ${parent} is not writable${process.getuid?.() === 0 ? '' : ' (not root)'}`);
  }
  const v2 = ownCgroup(2);
  if (v2 !== undefined && existsSync(join(V2_ROOT, 'cgroup.controllers'))) {
    const parent = join(V2_ROOT, v2);
    const enabled = readFileSync(join(V2_ROOT, 'cgroup.controllers'), 'utf8').split(/\s+/).includes('memory');
    if (!enabled) reasons.push('cgroup v2 has no memory controller');
    else if (writable(parent)) return { available: true, version: 2, parent };
    else reasons.push(`cgroup v2 ${parent} is not writable${process.getuid?.() === 0 ? '' : ' (not root)'}`);
  }
  if (reasons.length === 0) reasons.push('no cgroup memory controller is mounted');
  return { available: false, reason: reasons.join('; ') };
}

/** One sandbox's memory cgroup. */
export class MemoryCgroup {
  private constructor(
    readonly path: string,
    private readonly version: 1 | 2,
  ) {}

  /** Creates `<parent>/<name>` limited to `megabytes` MB (no swap beyond it). */
  static create(support: Extract<MemoryCgroupSupport, { available: true }>, name: string, megabytes: number) {
    const path = join(support.parent, name);
    mkdirSync(path);
    const cgroup = new MemoryCgroup(path, support.version);
    const bytes = String(megabytes * 1024 * 1024);
    if (support.version === 1) {
      cgroup.write('memory.limit_in_bytes', bytes);
      // With swap, the limit would page out instead of killing: memory+swap gets the same limit where it exists.
      if (existsSync(join(path, 'memory.memsw.limit_in_bytes'))) cgroup.write('memory.memsw.limit_in_bytes', bytes);
    } else {
      // v2 needs the memory controller enabled for the parent's children.
      try {
        writeFileSync(join(support.parent, 'cgroup.subtree_control'), '+memory');
      } catch {
        // already enabled, or the parent holds processes (the write fails then; the limit below says if it matters)
      }
      cgroup.write('memory.max', bytes);
      if (existsSync(join(path, 'memory.swap.max'))) cgroup.write('memory.swap.max', '0');
    }
    return cgroup;
  }

  /** The file a process writes its pid to, to join (used by the sandbox's bootstrap before it execs the runtime). */
  get procsFile(): string {
    return join(this.path, 'cgroup.procs');
  }

  /** Highest usage since creation or the last {@link resetPeak}, bytes (v2 kernels before 5.19: undefined). */
  peakBytes(): number | undefined {
    const file = this.version === 1 ? 'memory.max_usage_in_bytes' : 'memory.peak';
    try {
      return Number(readFileSync(join(this.path, file), 'utf8').trim());
    } catch {
      return undefined;
    }
  }

  /** Starts a new peak (per invocation, as Lambda reports Max Memory Used); v2 kernels before 6.12 keep the old one. */
  resetPeak(): void {
    try {
      this.write(this.version === 1 ? 'memory.max_usage_in_bytes' : 'memory.peak', '0');
    } catch {
      // not resettable here: the peak then covers the sandbox's life
    }
  }

  /** Processes the kernel's OOM killer has killed in this cgroup so far. */
  oomKills(): number {
    const file = this.version === 1 ? 'memory.oom_control' : 'memory.events';
    try {
      const m = /^oom_kill (\d+)$/m.exec(readFileSync(join(this.path, file), 'utf8'));
      return m ? Number(m[1]) : 0;
    } catch {
      return 0;
    }
  }

  /** Removes the cgroup (empty once its processes have exited); failures are left to the next run's reader. */
  remove(): void {
    try {
      rmdirSync(this.path);
    } catch {
      // still has a process for a moment, or already gone
    }
  }

  private write(file: string, value: string): void {
    writeFileSync(join(this.path, file), value);
  }
}
