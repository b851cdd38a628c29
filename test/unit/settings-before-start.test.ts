/**
 * A command given an invalid setting fails before it starts anything: `invoke --demo-wiki` and
 * `local:esm --demo-wiki` exit 2 naming every bad setting, with no demo wiki installed or started and
 * no output file written (issue 29: the demo wiki used to start first, and kept listening).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

/** A port nothing listens on now (the kernel's choice, released at once). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const COMMANDS: Array<[string, string[]]> = [
  ['invoke', ['scripts/invoke.ts', '--event', 'samples/page-change-events.jsonl', '--demo-wiki']],
  ['local:esm', ['scripts/local-esm.ts', '--until-caught-up', '--demo-wiki']],
];

for (const [name, args] of COMMANDS) {
  test(`${name} --demo-wiki with invalid settings exits 2 naming each of them, and starts no wiki`, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'settings-first-'));
    const wikiDir = path.join(dir, 'mediawiki-demo');
    const out = path.join(dir, 'enriched.jsonl');
    try {
      const run = spawnSync(
        process.execPath,
        ['--import', 'tsx', ...args, ...(name === 'invoke' ? ['--out', out] : [])],
        {
          cwd: ROOT,
          encoding: 'utf8',
          env: {
            ...process.env,
            MW_DIR: wikiDir,
            MW_PORT: String(await freePort()),
            MW_API_BATCH_SIZE: '900',
            MW_API_TIMEOUT_MS: 'soon',
            KAFKA_BROKERS: '127.0.0.1:9',
          },
        },
      );
      assert.equal(run.status, 2, run.stderr);
      assert.match(run.stderr, /MW_API_BATCH_SIZE must be/);
      assert.match(run.stderr, /MW_API_TIMEOUT_MS/);
      assert.equal(existsSync(wikiDir), false, 'no demo wiki was installed or started');
      assert.equal(existsSync(out), false, 'no output file was written');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
