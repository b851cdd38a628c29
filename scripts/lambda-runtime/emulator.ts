/**
 * Where the pieces of a local Lambda sandbox are: AWS's Runtime Interface Emulator (built from the Go module proxy
 * by scripts/lib/tools.sh `ensure_lambda_rie`, into .local/bin), AWS's Node.js runtime interface client
 * (`aws-lambda-ric`, built into .local/lambda-ric by `ensure_lambda_ric`: it runs beside the asset, never inside
 * it) and the bootstrap that puts the runtime in its memory cgroup. And the ports each sandbox listens on.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

const HERE = import.meta.dirname;
const REPO_ROOT = join(HERE, '..', '..');

export class EmulatorUnavailableError extends Error {
  override readonly name = 'EmulatorUnavailableError';
}

/**
 * The emulator binary, with the runtime interface client beside it, installed first when missing
 * (scripts/lib/tools.sh `ensure_lambda_rie`, `ensure_lambda_ric`: minutes, once; progress on stderr).
 */
export function emulatorBinary(): string {
  const binary = join(REPO_ROOT, '.local', 'bin', 'aws-lambda-rie');
  const tools = join(REPO_ROOT, 'scripts', 'lib', 'tools.sh');
  const run = spawnSync('bash', ['-c', `. "${tools}" && ensure_lambda_rie && ensure_lambda_ric`], {
    stdio: ['ignore', 2, 2],
  });
  if (run.status !== 0 || !existsSync(binary) || !existsSync(runtimeInterfaceClient())) {
    throw new EmulatorUnavailableError('the Lambda Runtime Interface Emulator or aws-lambda-ric is missing; see above');
  }
  return binary;
}

/**
 * `aws-lambda-ric`'s entry: the runtime interface client AWS's Node.js base images run, installed beside the
 * project (.local/lambda-ric), never bundled with the function.
 */
export function runtimeInterfaceClient(): string {
  return join(REPO_ROOT, '.local', 'lambda-ric', 'node_modules', 'aws-lambda-ric', 'index.mjs');
}

export const BOOTSTRAP = join(HERE, 'bootstrap.sh');

// ------------------------------------------------------------------------------------------------ ports

const taken = new Set<number>();

function listenable(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => {
      const bound = (server.address() as { port: number }).port;
      server.close(() => resolve(bound));
    });
  });
}

/**
 * A free port on 127.0.0.1 for a sandbox: from `LAMBDA_RUNTIME_PORTS` (`FROM-TO`) when set, so that machines
 * sharing ports can give each user a range, else one the kernel assigns. Held until {@link releasePort}.
 */
export async function reservePort(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const range = /^(\d+)-(\d+)$/.exec(env.LAMBDA_RUNTIME_PORTS ?? '');
  if (!range) {
    for (;;) {
      const port = (await listenable(0))!;
      if (!taken.has(port)) {
        taken.add(port);
        return port;
      }
    }
  }
  for (let port = Number(range[1]); port <= Number(range[2]); port++) {
    if (taken.has(port)) continue;
    taken.add(port);
    if ((await listenable(port)) !== undefined) return port;
    taken.delete(port);
  }
  throw new EmulatorUnavailableError(`no free port left in LAMBDA_RUNTIME_PORTS=${env.LAMBDA_RUNTIME_PORTS}`);
}

export function releasePort(port: number): void {
  taken.delete(port);
}
