/**
 * The enrich function as `cdk synth` writes it: the bundled asset (cdk.out/asset.<hash>/index.mjs), its handler,
 * memory size, timeout and environment variables from the stack's template. What AWS runs, not the TypeScript
 * sources. And the function's environment with the settings a user gives locally laid over the template's, each
 * override named.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SETTINGS } from '../../lib/settings/catalogue.js';
import type { LambdaFunctionDefinition } from './sandbox.js';

const REPO_ROOT = join(import.meta.dirname, '..', '..');

/** The environment `npm run invoke`/`local:esm` synthesize by default: the local broker as a self-managed cluster. */
export const DEFAULT_LOCAL_ENVIRONMENT = 'local-dev';

export class SynthError extends Error {
  override readonly name = 'SynthError';
}

/** Runs `cdk synth -c env=<envName> [-c key=value ...]` into `outdir` (progress and errors on stderr). */
export function synthesize(envName: string, context: readonly string[], outdir: string): void {
  const cdk = join(REPO_ROOT, 'node_modules', '.bin', 'cdk');
  const args = ['synth', '-q', '-o', outdir, '-c', `env=${envName}`, ...context.flatMap((c) => ['-c', c])];
  const run = spawnSync(cdk, args, { cwd: REPO_ROOT, stdio: ['ignore', 2, 2] });
  if (run.status !== 0) throw new SynthError(`cdk ${args.join(' ')} exited ${run.status}`);
}

interface TemplateResource {
  Type: string;
  Properties?: {
    Handler?: string;
    MemorySize?: number;
    Timeout?: number;
    FunctionName?: unknown;
    Environment?: { Variables?: Record<string, unknown> };
  };
  Metadata?: Record<string, unknown>;
}

/** The enrich function of the stack synthesized into `outdir` (its only stack). */
export function enrichFunctionIn(outdir: string): LambdaFunctionDefinition & { readonly stackName: string } {
  const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as {
    artifacts: Record<string, { type: string; environment?: string; properties?: { templateFile?: string } }>;
  };
  const stacks = Object.entries(manifest.artifacts).filter(([, a]) => a.type === 'aws:cloudformation:stack');
  if (stacks.length !== 1) throw new SynthError(`${outdir}: expected one stack, found ${stacks.length}`);
  const [stackName, stack] = stacks[0]!;
  const template = JSON.parse(readFileSync(join(outdir, stack.properties!.templateFile!), 'utf8')) as {
    Resources: Record<string, TemplateResource>;
  };
  const functions = Object.entries(template.Resources).filter(
    ([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith('EnrichFunction'),
  );
  if (functions.length !== 1)
    throw new SynthError(`${stackName}: expected one enrich function, found ${functions.length}`);
  const [id, fn] = functions[0]!;
  const assetPath = fn.Metadata?.['aws:asset:path'];
  if (typeof assetPath !== 'string')
    throw new SynthError(`${stackName}/${id}: the function's code is not a file asset`);
  const variables = fn.Properties?.Environment?.Variables ?? {};
  const environment = Object.fromEntries(
    Object.entries(variables).map(([k, v]) => {
      if (typeof v !== 'string') throw new SynthError(`${id}: ${k} is not a plain string (${JSON.stringify(v)})`);
      return [k, v];
    }),
  );
  return {
    stackName,
    functionName: `${stackName}-${id}`.slice(0, 64),
    codeDir: join(outdir, assetPath),
    handler: fn.Properties?.Handler ?? 'index.handler',
    // CloudFormation's defaults for AWS::Lambda::Function: 128 MB, 3 s.
    memorySizeMb: fn.Properties?.MemorySize ?? 128,
    timeoutSeconds: fn.Properties?.Timeout ?? 3,
    environment,
    region: /^aws:\/\/[^/]+\/(.+)$/.exec(stack.environment ?? '')?.[1],
  };
}

/** A template variable replaced, or a setting added, by a local value. */
export interface EnvironmentOverride {
  readonly name: string;
  /** The template's value; undefined when the template does not set it. */
  readonly template?: string;
  readonly value: string;
  /** Who gave the value, e.g. "your shell" or "--demo-wiki". */
  readonly source: string;
}

/** Names a local value may set: the template's variables, the function's settings (the catalogue), Powertools'. */
function overridable(name: string, template: Readonly<Record<string, string>>): boolean {
  return name in template || name in SETTINGS || name.startsWith('POWERTOOLS_');
}

/**
 * The function's environment: the template's, with each of `local`'s values for a name the function reads laid
 * over it. `sourceOf` says who set a local value; unchanged values are not overrides.
 */
export function environmentWithOverrides(
  template: Readonly<Record<string, string>>,
  local: Readonly<Record<string, string | undefined>>,
  sourceOf: (name: string) => string,
): { environment: Record<string, string>; overrides: EnvironmentOverride[] } {
  const environment = { ...template };
  const overrides: EnvironmentOverride[] = [];
  for (const [name, value] of Object.entries(local).sort(([a], [b]) => a.localeCompare(b))) {
    if (value === undefined || !overridable(name, template) || template[name] === value) continue;
    environment[name] = value;
    overrides.push({ name, template: template[name], value, source: sourceOf(name) });
  }
  return { environment, overrides };
}

/** One line per override, for the command's output (secrets are not settings here: values are shown). */
export function describeOverrides(overrides: readonly EnvironmentOverride[]): string[] {
  return overrides.map(
    (o) =>
      `${o.name}=${o.value} (${o.source}; ${o.template === undefined ? 'not in the template' : `template: ${o.template}`})`,
  );
}
