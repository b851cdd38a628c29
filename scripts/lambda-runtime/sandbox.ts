/**
 * One local Lambda sandbox (execution environment): AWS's Runtime Interface Emulator serving the Runtime API to
 * `aws-lambda-ric`, which runs the function's asset, in a memory cgroup at the function's memory size where the
 * machine allows one. Like Lambda's, it starts cold (the runtime and the handler's module load at the first
 * invocation, "Init Duration"), stays warm between invocations, serves one invocation at a time, and ends when the
 * runtime is killed (memory), times out or exits. The Lambda execution environment lifecycle:
 * https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { BOOTSTRAP, emulatorBinary, releasePort, reservePort, runtimeInterfaceClient } from './emulator.js';
import { MemoryCgroup, type MemoryCgroupSupport } from './memory-cgroup.js';
import { type InvocationOutcome, type InvocationReport, megabytes, outcomeOf, rapidTiming } from './outcome.js';

/** What Lambda knows of a function: its code, handler, memory size, timeout and environment. */
export interface LambdaFunctionDefinition {
  readonly functionName: string;
  /** The unpacked asset (LAMBDA_TASK_ROOT). */
  readonly codeDir: string;
  readonly handler: string;
  readonly memorySizeMb: number;
  readonly timeoutSeconds: number;
  /** The function's own environment variables (the template's, with any overrides). */
  readonly environment: Readonly<Record<string, string>>;
  /** @default 'us-east-1' */
  readonly region?: string;
}

export interface SandboxOptions {
  /** Where memory cgroups can be made (memory-cgroup.ts); without one the sandbox has no memory limit. */
  readonly cgroups: MemoryCgroupSupport;
  /** The function's log lines (its stdout and stderr) and Lambda's START/END lines. */
  readonly log: (line: string) => void;
}

export interface Invocation {
  readonly requestId: string;
  readonly outcome: InvocationOutcome;
  readonly report: InvocationReport;
}

export class SandboxStartError extends Error {
  override readonly name = 'SandboxStartError';
}

let sandboxes = 0;
/** Every sandbox of this process whose emulator has not been stopped yet, for {@link LambdaSandbox.stopAll}. */
const live = new Set<LambdaSandbox>();

/**
 * Lambda's reserved variables ("Defined runtime environment variables",
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime) over the
 * function's own: a function cannot set them. AWS_LAMBDA_FUNCTION_TIMEOUT is the emulator's, which enforces it.
 */
export function sandboxEnvironment(fn: LambdaFunctionDefinition, ricDir: string): Record<string, string> {
  const region = fn.region ?? 'us-east-1';
  return {
    ...fn.environment,
    PATH: '/usr/local/bin:/usr/bin:/bin',
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    _HANDLER: fn.handler,
    LAMBDA_TASK_ROOT: fn.codeDir,
    LAMBDA_RUNTIME_DIR: ricDir,
    AWS_EXECUTION_ENV: `AWS_Lambda_nodejs${process.versions.node.split('.')[0]}.x`,
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_LAMBDA_FUNCTION_NAME: fn.functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memorySizeMb),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_TIMEOUT: String(fn.timeoutSeconds),
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.functionName}`,
    AWS_LAMBDA_LOG_STREAM_NAME: `local/[$LATEST]${randomUUID().replaceAll('-', '')}`,
  };
}

export class LambdaSandbox {
  /** Sandbox number in this process, for log lines. */
  readonly id = ++sandboxes;
  private initialized = false;
  private busy = false;
  private ended = false;
  private stopping = false;
  private readonly timings: { initDurationMs?: number; invokeDurationMs?: number } = {};
  private readonly reported = new Map<string, () => void>();
  private readonly stderrTail: string[] = [];
  private readonly exited: Promise<void>;

  private constructor(
    readonly fn: LambdaFunctionDefinition,
    private readonly child: ChildProcess,
    private readonly ports: readonly number[],
    private readonly cgroup: MemoryCgroup | undefined,
    private readonly opts: SandboxOptions,
  ) {
    live.add(this);
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    void this.exited.then(() => {
      this.ended = true;
      for (const seen of this.reported.values()) seen();
    });
    createInterface({ input: child.stdout! }).on('line', (line) => this.onStdout(line));
    createInterface({ input: child.stderr! }).on('line', (line) => this.onStderr(line));
  }

  /** Starts the emulator for `fn` (the runtime itself starts at the first invocation: the cold start). */
  static async start(fn: LambdaFunctionDefinition, opts: SandboxOptions): Promise<LambdaSandbox> {
    const binary = emulatorBinary();
    const ric = runtimeInterfaceClient();
    const ports = [await reservePort(), await reservePort()];
    const n = sandboxes + 1;
    let cgroup: MemoryCgroup | undefined;
    if (opts.cgroups.available) {
      const name = `lambda-sandbox-${process.pid}-${n}-${randomUUID().slice(0, 8)}`;
      cgroup = MemoryCgroup.create(opts.cgroups, name, fn.memorySizeMb);
    }
    const args = [
      '--log-level',
      'info', // its INIT REPORT and RTDONE lines carry the init and invoke durations
      '--runtime-interface-emulator-address',
      `127.0.0.1:${ports[0]}`,
      '--runtime-api-address',
      `127.0.0.1:${ports[1]}`,
      '/bin/sh',
      BOOTSTRAP,
      cgroup?.procsFile ?? '-',
      process.execPath,
      ric,
      fn.handler,
    ];
    const child = spawn(binary, args, {
      cwd: fn.codeDir,
      // The emulator hands its whole environment to the function: only the function's own and Lambda's are in it.
      env: sandboxEnvironment(fn, ric.replace(/\/index\.mjs$/, '')),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group: stop() ends the emulator and the runtime together
    });
    const sandbox = new LambdaSandbox(fn, child, ports, cgroup, opts);
    opts.log(
      `sandbox ${sandbox.id}: emulator pid ${child.pid} on 127.0.0.1:${ports[0]}, Runtime API on 127.0.0.1:${ports[1]}, ` +
        (cgroup ? `memory cgroup ${cgroup.path}` : 'no memory cgroup'),
    );
    await sandbox.listening();
    return sandbox;
  }

  /**
   * Stops every sandbox this process started and has not stopped (Ctrl-C: the emulators run in process groups of
   * their own, which the terminal's SIGINT does not reach, and their cgroups outlive them unless removed).
   */
  static async stopAll(): Promise<number> {
    const all = [...live];
    await Promise.all(all.map((s) => s.stop()));
    return all.length;
  }

  /** The emulator's invoke endpoint answers (or the emulator has exited: that is a start error). */
  private async listening(): Promise<void> {
    for (let attempt = 0; attempt < 200; attempt++) {
      if (this.ended) break;
      const up = await new Promise<boolean>((resolve) => {
        const socket = connect(this.ports[0]!, '127.0.0.1', () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('error', () => resolve(false));
      });
      if (up) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    await this.stop();
    throw new SandboxStartError(`the emulator did not start: ${this.stderrTail.join(' | ') || 'no output'}`);
  }

  get alive(): boolean {
    return !this.ended;
  }

  get warm(): boolean {
    return this.initialized && !this.ended;
  }

  /** Invokes the function with `event` (one at a time); a sandbox that does not survive the outcome is stopped. */
  async invoke(event: unknown): Promise<Invocation> {
    if (this.ended) throw new Error(`sandbox ${this.id} has ended`);
    if (this.busy) throw new Error(`sandbox ${this.id} is busy: one invocation at a time`);
    this.busy = true;
    const requestId = randomUUID();
    const cold = !this.initialized;
    this.initialized = true;
    this.timings.initDurationMs = undefined;
    this.timings.invokeDurationMs = undefined;
    this.cgroup?.resetPeak();
    this.resetProcessPeak();
    const oomBefore = this.cgroup?.oomKills() ?? 0;
    const reportSeen = new Promise<void>((resolve) => this.reported.set(requestId, resolve));
    const started = performance.now();
    try {
      const answer = await this.post(requestId, JSON.stringify(event));
      const elapsedMs = performance.now() - started;
      // The emulator writes END/REPORT before it answers; its log pipe may lag a little behind the answer.
      await Promise.race([reportSeen, new Promise((r) => setTimeout(r, 2000))]);
      const oomKilled = (this.cgroup?.oomKills() ?? 0) > oomBefore;
      const outcome = outcomeOf({ requestId, ...answer, oomKilled });
      const peak = this.cgroup?.peakBytes() ?? this.processPeakBytes();
      const initDurationMs = cold ? this.timings.initDurationMs : undefined;
      const measured = this.timings.invokeDurationMs ?? elapsedMs - (initDurationMs ?? 0);
      const report: InvocationReport = {
        requestId,
        durationMs: Math.min(measured, this.fn.timeoutSeconds * 1000),
        initDurationMs,
        memorySizeMb: this.fn.memorySizeMb,
        maxMemoryUsedMb: peak === undefined ? undefined : megabytes(peak),
        memorySource: peak === undefined ? undefined : this.cgroup ? 'cgroup' : 'process',
        status: outcome.kind === 'timeout' ? 'timeout' : outcome.kind === 'success' ? undefined : 'error',
        errorType: outcome.errorType,
      };
      if (!outcome.sandboxSurvives) await this.stop();
      return { requestId, outcome, report };
    } finally {
      this.reported.delete(requestId);
      this.busy = false;
    }
  }

  /** Ends the emulator and the runtime (SIGKILL to the process group) and removes the memory cgroup. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.child.exitCode === null && this.child.signalCode === null) {
      // The emulator starts the runtime in a process group of its own: both groups are ended.
      for (const pid of [...this.runtimePids(), this.child.pid!]) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      }
      await this.exited;
    }
    this.ended = true;
    live.delete(this);
    for (const port of this.ports) releasePort(port);
    // The killed runtime leaves the cgroup a moment after its group leader.
    for (let i = 0; i < 20 && this.cgroup; i++) {
      this.cgroup.remove();
      if (!this.cgroupExists()) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private cgroupExists(): boolean {
    try {
      readdirSync(this.cgroup!.path);
      return true;
    } catch {
      return false;
    }
  }

  private post(requestId: string, body: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: this.ports[0],
          method: 'POST',
          path: '/2015-03-31/functions/function/invocations',
          headers: { 'content-type': 'application/json', 'x-amzn-requestid': requestId },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', (err) => resolve({ status: 599, body: `the emulator's answer broke off: ${err.message}` }));
        },
      );
      // The emulator itself gone (killed from outside): the invocation failed as a runtime exit.
      req.on('error', (err) => resolve({ status: 599, body: `the sandbox's emulator is gone: ${err.message}` }));
      req.end(body);
    });
  }

  private onStdout(line: string): void {
    if (this.stopping) return; // a runtime that outlives its emulator for a moment says so; that is not the function's
    const report = /^REPORT RequestId: (\S+)/.exec(line);
    if (report) {
      // The emulator's REPORT claims Max Memory Used = Memory Size; the caller prints the measured one instead.
      this.reported.get(report[1]!)?.();
      return;
    }
    this.opts.log(line);
  }

  private onStderr(line: string): void {
    const timing = rapidTiming(line);
    if (timing) Object.assign(this.timings, timing);
    this.stderrTail.push(line);
    if (this.stderrTail.length > 5) this.stderrTail.shift();
  }

  /** Runtime processes (the emulator's children): without a cgroup, their peak resident set is the memory used. */
  private runtimePids(): number[] {
    try {
      return readdirSync(`/proc/${this.child.pid}/task`)
        .flatMap((tid) =>
          readFileSync(`/proc/${this.child.pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean),
        )
        .map(Number);
    } catch {
      return [];
    }
  }

  private resetProcessPeak(): void {
    if (this.cgroup) return;
    for (const pid of this.runtimePids()) {
      try {
        writeFileSync(`/proc/${pid}/clear_refs`, '5'); // 5: reset the peak resident set size (proc(5))
      } catch {
        // not ours to reset: the peak then covers the runtime's life
      }
    }
  }

  private processPeakBytes(): number | undefined {
    let total = 0;
    for (const pid of this.runtimePids()) {
      try {
        const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
        if (m) total += Number(m[1]) * 1024;
      } catch {
        // exited
      }
    }
    return total > 0 ? total : undefined;
  }
}
