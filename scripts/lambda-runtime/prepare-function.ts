/**
 * What `invoke --runtime lambda` and `local:esm --runtime lambda` both do first: synthesize the chosen environment,
 * take the enrich function from the template, lay the local settings over its environment (saying which), and say
 * whether the machine can hold it to its memory size.
 */
import { join } from 'node:path';
import { type MemoryCgroupSupport, memoryCgroupSupport } from './memory-cgroup.js';
import type { LambdaFunctionDefinition } from './sandbox.js';
import { describeOverrides, enrichFunctionIn, environmentWithOverrides, synthesize } from './synthesized-function.js';

const REPO_ROOT = join(import.meta.dirname, '..', '..');

/**
 * Variables the commands set for their own in-process path or their own Kafka client (local:esm quiets kafkajs):
 * through the runtime they reach the function only when the user set them.
 */
const COMMAND_DEFAULTS = new Set(['POWERTOOLS_DEV', 'POWERTOOLS_METRICS_DISABLED', 'KAFKA_LOG_LEVEL']);

export interface PrepareOptions {
  /** `-c env=<name>` of the synth. */
  readonly envName: string;
  /** Further `-c key=value` of the synth. */
  readonly context: readonly string[];
  /** The shell's environment, before the command set anything. */
  readonly shellEnv: NodeJS.ProcessEnv;
  /** The environment now: with what --demo-wiki (and the command) set. */
  readonly processEnv: NodeJS.ProcessEnv;
  readonly say: (line: string) => void;
}

/** The local values laid over the template's, and who gave each. */
function localSettings(opts: PrepareOptions): {
  values: Record<string, string | undefined>;
  sourceOf: (name: string) => string;
} {
  const values: Record<string, string | undefined> = {};
  const sources = new Map<string, string>();
  for (const [name, value] of Object.entries(opts.processEnv)) {
    if (opts.shellEnv[name] === value) {
      values[name] = value;
      sources.set(name, 'your shell');
    } else if (!COMMAND_DEFAULTS.has(name)) {
      values[name] = value;
      sources.set(name, name.startsWith('MW_API_') ? '--demo-wiki' : 'this command');
    }
  }
  // The project's local broker listens on KAFKA_PORT (scripts/kafka/start.sh), as local:esm assumes.
  if (opts.shellEnv.KAFKA_BROKERS === undefined && opts.shellEnv.KAFKA_PORT) {
    values.KAFKA_BROKERS = `127.0.0.1:${opts.shellEnv.KAFKA_PORT}`;
    sources.set('KAFKA_BROKERS', 'KAFKA_PORT');
  }
  return { values, sourceOf: (name) => sources.get(name) ?? 'local' };
}

export function prepareFunction(opts: PrepareOptions): {
  fn: LambdaFunctionDefinition & { readonly stackName: string };
  cgroups: MemoryCgroupSupport;
} {
  const { say } = opts;
  const outdir = join(REPO_ROOT, '.local', 'lambda-runtime', `cdk.out-${opts.envName}`);
  say(`synthesizing -c env=${opts.envName}${opts.context.map((c) => ` -c ${c}`).join('')} into ${outdir}`);
  synthesize(opts.envName, opts.context, outdir);
  const synthesized = enrichFunctionIn(outdir);
  const local = localSettings(opts);
  const { environment, overrides } = environmentWithOverrides(synthesized.environment, local.values, local.sourceOf);
  say(
    `${synthesized.stackName} enrich function: asset ${synthesized.codeDir}, handler ${synthesized.handler}, ` +
      `memory ${synthesized.memorySizeMb} MB, timeout ${synthesized.timeoutSeconds} s, ` +
      `${Object.keys(synthesized.environment).length} variable(s) from the template`,
  );
  for (const line of describeOverrides(overrides)) say(`overridden: ${line}`);
  const cgroups = memoryCgroupSupport();
  say(
    cgroups.available
      ? `memory limit: ${synthesized.memorySizeMb} MB (cgroup v${cgroups.version} below ${cgroups.parent})`
      : `NO memory limit: ${cgroups.reason}; the function runs without one (run as root for Lambda's limit)`,
  );
  return { fn: { ...synthesized, environment }, cgroups };
}
