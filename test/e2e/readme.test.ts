/**
 * README.md and docs/*.md end to end, as a newcomer follows them: a fresh clone of this repository's
 * HEAD, nothing running, and the documentation's own command blocks (marked `<!-- readme-test: NAME -->`,
 * extracted from the pages, never copied here) run as written, one after the other: the demo, local
 * invoke, the README's kcat look, the kcat walk-through, the redrive rehearsal, the deploy synths,
 * the quick benchmark and the stop command. Each block's promised outcome is asserted; after the last
 * one no port the project opened is still listening.
 *
 * Run by scripts/test.sh after the suite's own wiki and broker are stopped (the blocks use the
 * README's ports: 8766 demo, 9092/9093 Kafka, 8767 and 9192/9193 bench; MW_PORT, KAFKA_PORT and
 * KAFKA_CONTROLLER_PORT move them, as every script does). Logs of each block:
 * .local/readme-test/<block>.log.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { documentedBlock } from '../support/readme-blocks.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const LOG_DIR = path.join(REPO_ROOT, '.local', 'readme-test');
const CLONE = path.join(tmpdir(), `mw-enrich-readme-${process.pid}`);
const BLOCK_TIMEOUT_MS = 15 * 60_000;

/** The ports the README's commands open: demo wiki, broker, bench wiki and bench broker. */
const PORTS = [
  ...new Set(
    [
      process.env.MW_PORT ?? '8766',
      process.env.KAFKA_PORT ?? '9092',
      process.env.KAFKA_CONTROLLER_PORT ?? '9093',
      process.env.MW_PORT ?? '8767',
      process.env.KAFKA_PORT ?? '9192',
      process.env.KAFKA_CONTROLLER_PORT ?? '9193',
    ].map(Number),
  ),
];

/** A newcomer's shell: no npm run context, no test settings, no services named by the environment. */
function newcomerEnv(): NodeJS.ProcessEnv {
  const dropped =
    /^(npm_|KAFKA_BROKERS$|KAFKA_LOCAL_DIR$|KAFKA_TOPIC_PREFIX$|MW_API_|MW_DIR$|TEST_FILES$|POWERTOOLS_|LOG_LEVEL$)/;
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !dropped.test(k)));
  env.PATH = (env.PATH ?? '')
    .split(':')
    .filter((dir) => !dir.includes('node_modules'))
    .join(':');
  return env;
}

interface BlockRun {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number | null;
}

/** Runs a README block in the clone with bash (errexit, pipefail), its output also to a log file. */
function runBlock(name: string, text: string): Promise<BlockRun> {
  mkdirSync(LOG_DIR, { recursive: true });
  const child = spawn('bash', ['-e', '-o', 'pipefail', '-c', text], {
    cwd: CLONE,
    env: newcomerEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve) => {
    let closed = false;
    let finished = false;
    const finish = (code: number | null, note = '') => {
      if (finished) return;
      finished = true;
      writeFileSync(
        path.join(LOG_DIR, `${name}.log`),
        `$ ${text}\n\n--- stdout\n${stdout}\n--- stderr\n${stderr}\n--- exit ${code}${note}\n`,
      );
      resolve({ stdout: stripAnsi(stdout), stderr: `${stripAnsi(stderr)}${note}`, code });
    };
    child.on('close', (code) => {
      closed = true;
      finish(code);
    });
    // A service the block started must not keep the block's output open (a terminal's `$(...)`
    // would wait for it forever): after the shell exits, its pipes close within seconds or it fails.
    child.on('exit', () =>
      setTimeout(() => {
        if (closed) return;
        child.stdout.destroy();
        child.stderr.destroy();
        finish(-1, '\na process the block started still holds its stdout or stderr open');
      }, 10_000).unref(),
    );
  });
}

function stripAnsi(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escapes are control characters
  return text.replace(/\x1b\[[0-9;]*m/g, '');
}

/** Runs the README block `name` and asserts it exited 0; the failure message ends with its output. */
async function runReadmeBlock(name: string, transform: (text: string) => string = (t) => t): Promise<BlockRun> {
  const block = documentedBlock(CLONE, name);
  const run = await runBlock(name, transform(block.text));
  assert.equal(
    run.code,
    0,
    `${block.file} block "${name}" exited ${run.code}:\n${tail(run.stdout)}\n${tail(run.stderr)}`,
  );
  return run;
}

function tail(text: string, lines = 40): string {
  return text.split('\n').slice(-lines).join('\n');
}

function jsonLines(file: string): Array<Record<string, unknown>> {
  return readFileSync(path.join(CLONE, file), 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

function countBy(values: readonly unknown[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[String(v)] = (counts[String(v)] ?? 0) + 1;
  return counts;
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function listeningPorts(ports: readonly number[]): Promise<number[]> {
  const open: number[] = [];
  for (const port of ports) if (await listening(port)) open.push(port);
  return open;
}

/** Every port the clone's wikis and brokers were started on (their server.port and server.properties). */
function portsUsedByClone(): number[] {
  const local = path.join(CLONE, '.local');
  if (!existsSync(local)) return [];
  const ports: number[] = [];
  for (const dir of readdirSync(local)) {
    const portFile = path.join(local, dir, 'server.port');
    if (existsSync(portFile)) ports.push(Number(readFileSync(portFile, 'utf8').trim()));
    const properties = path.join(local, dir, 'server.properties');
    if (existsSync(properties)) {
      for (const m of readFileSync(properties, 'utf8').matchAll(/^listeners=.*$/gm)) {
        for (const p of m[0].matchAll(/:(\d+)/g)) ports.push(Number(p[1]));
      }
    }
  }
  return ports;
}

// Each block builds on the ones before it: after a failure the rest is skipped, not run.
let failed: string | undefined;
function step(name: string, body: () => Promise<void>): void {
  test(name, { timeout: BLOCK_TIMEOUT_MS }, async (t) => {
    if (failed) return t.skip(`after the failure of "${failed}"`);
    try {
      await body();
    } catch (err) {
      failed = name;
      throw err;
    }
  });
}

before(async () => {
  const open = await listeningPorts(PORTS);
  assert.deepEqual(open, [], `ports the README uses are already in use (${open.join(', ')}): stop what runs there`);
  rmSync(CLONE, { recursive: true, force: true });
  const clone = spawnSync('git', ['clone', '--quiet', REPO_ROOT, CLONE], { encoding: 'utf8' });
  assert.equal(clone.status, 0, `git clone failed: ${clone.stderr}`);
  const head = spawnSync('git', ['-C', CLONE, 'log', '--oneline', '-1'], { encoding: 'utf8' }).stdout.trim();
  console.error(`README end to end in a fresh clone of ${head} at ${CLONE} (logs: ${LOG_DIR})`);
});

after(async () => {
  // Whatever happened, nothing the clone started keeps running, and the clone goes.
  if (existsSync(path.join(CLONE, 'scripts', 'stop.sh'))) await runBlock('cleanup-stop', 'bash scripts/stop.sh');
  rmSync(CLONE, { recursive: true, force: true });
});

step('Two commands: npm run demo enriches the samples', async () => {
  // `npm test` is the command that runs this test: every other line of the block runs.
  const run = await runReadmeBlock('two-commands', (text) =>
    text
      .split('\n')
      .filter((line) => !/^npm test\b/.test(line))
      .join('\n'),
  );
  // The fresh clone's `npm ci` (run by the demo): install scripts approved in package.json's allowScripts.
  assert.doesNotMatch(`${run.stdout}${run.stderr}`, /install-scripts|not yet covered by allowScripts/);
  const enriched = jsonLines('.local/demo/enriched.jsonl');
  assert.equal(enriched.length, 6, 'create, edit, non-ASCII, delete, suppressed content, canary');
  assert.deepEqual(countBy(jsonLines('.local/demo/errors.jsonl').map((e) => e.error_type)), {
    DomainNotAllowed: 1,
    InvalidJson: 1,
    RevisionMissing: 1,
  });
});

step('Local invoke: the shipped MSK sample enriched against the demo wiki, and where the results went', async () => {
  const run = await runReadmeBlock('local-invoke');
  assert.match(run.stdout, /^\{"batchItemFailures":\[\]\}$/m);
  assert.match(run.stderr, /3 enriched event\(s\) → \.local\/invoke\/enriched\.jsonl; 0 error event\(s\)/);
  const enriched = jsonLines('.local/invoke/enriched.jsonl');
  assert.equal(enriched.length, 3);
  for (const e of enriched) {
    const slots = (e.revision as { content_slots: Record<string, { content_body?: string }> }).content_slots;
    assert.equal(typeof slots.main?.content_body, 'string');
  }
});

/** Enriched events (their keys) and error types a kcat block printed. */
function kcatOutput(stdout: string, enrichedLine: RegExp) {
  const lines = stdout.split('\n');
  const errors = lines
    .filter((l) => l.startsWith('{"error_type":'))
    .map((l) => (JSON.parse(l) as { error_type: string }).error_type);
  return { lines, enriched: lines.filter((l) => enrichedLine.test(l)).length, errors: countBy(errors) };
}

step('README, a look with kcat: the 9 samples end as 6 enriched and 3 error events', async () => {
  const run = await runReadmeBlock('kcat-look');
  // kafka:start fetches the jars of the fresh clone once, and says so once.
  assert.match(run.stderr, /Fetched \d+ jars/);
  assert.doesNotMatch(run.stderr, /skipping fetch/, 'kafka:start does not say it fetched, then that it skips fetching');
  const out = kcatOutput(run.stdout, /^\{"wiki_id":.*source_topic/);
  assert.equal(out.enriched, 6, 'enriched events with their keys and source headers');
  assert.deepEqual(out.errors, { DomainNotAllowed: 1, InvalidJson: 1, RevisionMissing: 1 });
});

step('docs/local-kafka.md: 27 records more end as 18 enriched and 9 error events, the counts adding up', async () => {
  const run = await runReadmeBlock('kcat-walkthrough');
  const out = kcatOutput(run.stdout, /^\d+:\d+ \{"wiki_id":/);
  // The broker keeps the README look's 6 enriched and 3 error events: the page says the counts add up.
  assert.equal(out.enriched, 6 + 18, 'enriched events with their keys');
  assert.deepEqual(out.errors, { DomainNotAllowed: 1 + 3, InvalidJson: 1 + 3, RevisionMissing: 1 + 3 });
  assert.ok(out.lines.includes('exit 0'), 'local:esm --until-caught-up exits 0');
  assert.doesNotMatch(run.stdout, /failure_condition=/, 'nothing on the on-failure topic');
  assert.doesNotMatch(run.stderr, /"level":"ERROR"|consumer crashed/, 'no error noise on success');
});

/** The `export` line the rehearsal printed last, for the runbook after it. */
let rehearsalExports = '';

step('Redrive rehearsal: ends with the outcome the README shows', async () => {
  // Its services stay up, as the page says to follow the runbook next: the step "stopping everything" stops them.
  const run = await runReadmeBlock('redrive-rehearsal', (text) => text.replace(/^npm run stop\b.*$/m, ''));
  const actual = new Set(run.stdout.split('\n').map((l) => l.trim()));
  for (const line of documentedBlock(CLONE, 'redrive-rehearsal-outcome').text.split('\n')) {
    assert.ok(actual.has(line.trim()), `the rehearsal did not print "${line.trim()}":\n${run.stdout}`);
  }
  rehearsalExports = run.stdout.match(/^\s*(export KAFKA_BROKERS=.*)$/m)?.[1] ?? '';
  assert.match(rehearsalExports, /REDRIVE_GROUP_PREFIX=\S+\.redrive\. /, 'the redrive groups end in a separator');
});

step('docs/operations.md, the runbook right after the rehearsal: what is left is what failed again', async () => {
  const runbook = documentedBlock(CLONE, 'redrive-runbook').text;
  // Step 4's local form: the pipeline takes the redriven events before the verification.
  const local = runbook.replace(/^#\s+(npm run -s local:esm -- --until-caught-up)$/m, '$1');
  assert.notEqual(local, runbook, "the runbook's step 4 names its local command");
  const run = await runBlock('redrive-runbook', `${rehearsalExports}\n${local}`);
  assert.equal(run.code, 0, `the runbook exited ${run.code}:\n${tail(run.stdout)}\n${tail(run.stderr)}`);
  assert.match(run.stdout, /^Wiki$/m, 'step 1: the wiki is back');
  assert.match(run.stdout, /"selected": 1\b/, 'step 2: the one record the rehearsal left (a deleted page)');
  assert.match(run.stdout, /"produced": 1\b/, 'step 3: redriven once more');
  const [enriched, left] = run.stdout.split('\n').filter((l) => /^\d+$/.test(l));
  assert.equal(enriched, '3', "step 4: the rehearsal's 3 enriched redriven events, none twice");
  // "0, unless something failed again in this pass": the deleted page fails again, now with redrive_count=2.
  const failedAgain = await runBlock(
    'redrive-runbook-failed-again',
    `${rehearsalExports}\nkcat -C -b $KAFKA_BROKERS -t \${KAFKA_TOPIC_PREFIX}mw_page_content_change_enrich.error -e -q -f '%h\\n' | grep -c 'redrive_count=2'`,
  );
  assert.equal(left, failedAgain.stdout.trim(), 'what is left is what failed again in this pass');
  assert.equal(left, '1');

  // Step 1 when the wiki does not answer: an error and a non-zero exit, not silence.
  const look = runbook.split('\n').filter((l) => /^B=|^curl /.test(l));
  const down = await runBlock('redrive-runbook-wiki-down', `WIKI_API=http://127.0.0.1:9/w/api.php\n${look.join('\n')}`);
  assert.notEqual(down.code, 0, 'step 1 fails when the wiki is unreachable');
  assert.match(down.stderr, /curl: \(7\)/);
});

/** Synthesizes through a documented block and returns the template it wrote for `env`. */
async function synthesized(block: string, env: string): Promise<string> {
  const run = await runReadmeBlock(block);
  const file = path.join(CLONE, 'cdk.out', `MwPageContentChangeEnrich-${env}.template.json`);
  assert.ok(existsSync(file), `no template for ${env} in cdk.out:\n${run.stdout}`);
  return readFileSync(file, 'utf8');
}

step('Deploy: cdk synth of an environment, offline', async () => {
  assert.match(await synthesized('deploy-synth', 'example-msk-iam'), /AWS::Lambda::EventSourceMapping/);
});

step('docs/deploy.md: cdk synth of the self-managed example, offline', async () => {
  const template = await synthesized('deploy-synth-self-managed', 'example-self-managed-scram');
  assert.match(template, /AWS::Lambda::EventSourceMapping/);
  assert.match(template, /SelfManagedEventSource/);
});

step('Performance: bench quick writes its results', async () => {
  await runReadmeBlock('bench-quick');
  const resultsFile = path.join(CLONE, '.local', 'bench-quick', 'results.json');
  assert.ok(existsSync(resultsFile));
  // Every step of the floor measures above zero, as in a full run (each repeats past the kernel's CPU-time tick).
  const { floor } = (JSON.parse(readFileSync(resultsFile, 'utf8')) as { lambdaPath: { floor: { steps: object } } })
    .lambdaPath;
  for (const [name, ms] of Object.entries(floor.steps)) assert.ok(ms > 0, `floor step "${name}" measured ${ms} ms`);
});

step('Stopping everything: no port the project used is still listening', async () => {
  await runReadmeBlock('stop');
  const used = [...new Set([...PORTS, ...portsUsedByClone()])];
  assert.deepEqual(await listeningPorts(used), [], `still listening after npm run stop (checked ${used.join(', ')})`);
});
