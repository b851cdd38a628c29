/**
 * Sandboxes for `local:esm --runtime lambda`, as Lambda keeps execution environments for a function: an invocation
 * takes a warm idle sandbox or starts a new one (a cold start), so there are as many as there are invocations in
 * flight (one per partition, as the event source mapping invokes); a sandbox idle longer than `idleMs` is stopped, so
 * the next invocation starts cold again; one that was killed, timed out or exited is gone
 * ("Understanding the Lambda execution environment lifecycle",
 * https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html).
 *
 * As an event source mapping handler, an invocation that failed (function error, Runtime.OutOfMemory, timeout) throws:
 * the stand-in reads it as a function error, which its retry and split-batch logic handle as Lambda's pollers do.
 */
import type { Context } from 'aws-lambda';
import { reportLine } from './outcome.js';
import { type Invocation, type LambdaFunctionDefinition, LambdaSandbox, type SandboxOptions } from './sandbox.js';

export class FunctionError extends Error {
  override readonly name = 'FunctionError';
  constructor(
    readonly errorType: string,
    readonly payload: string,
  ) {
    super(`${errorType}: ${payload}`);
  }
}

export class SandboxPoolClosedError extends Error {
  override readonly name = 'SandboxPoolClosedError';
}

export interface SandboxPoolStats {
  coldStarts: number;
  /** Sandboxes ended by the memory limit, a timeout or a runtime exit. */
  killed: number;
  /** Sandboxes stopped after `idleMs` without an invocation. */
  idleStops: number;
  readonly byOutcome: Record<string, number>;
}

export class SandboxPool {
  private readonly idle: Array<{ sandbox: LambdaSandbox; since: number }> = [];
  private readonly busy = new Set<LambdaSandbox>();
  private readonly reaper: NodeJS.Timeout;
  private closed = false;
  readonly stats: SandboxPoolStats = { coldStarts: 0, killed: 0, idleStops: 0, byOutcome: {} };

  constructor(
    private readonly fn: LambdaFunctionDefinition,
    private readonly opts: SandboxOptions & {
      /** Stop a sandbox idle this long, ms. */
      readonly idleMs: number;
      /** Lambda's REPORT line of each invocation, and pool events. */
      readonly report: (line: string) => void;
    },
  ) {
    this.reaper = setInterval(() => void this.reap(), Math.min(1000, Math.max(50, opts.idleMs / 4)));
    this.reaper.unref();
  }

  /** Invokes the function in a warm sandbox, or a new one; the sandbox goes back to the pool if it survived. */
  async invoke(event: unknown): Promise<Invocation> {
    const warm = this.idle.pop()?.sandbox;
    let sandbox = warm;
    if (this.closed) throw new SandboxPoolClosedError('the sandbox pool is stopped');
    if (!sandbox) {
      sandbox = await LambdaSandbox.start(this.fn, this.opts);
      this.stats.coldStarts++;
      if (this.closed) {
        // Started while the pool stopped (Ctrl-C during a cold start): it must not outlive the command.
        await sandbox.stop();
        throw new SandboxPoolClosedError('the sandbox pool stopped during a cold start');
      }
    }
    this.busy.add(sandbox);
    try {
      const invocation = await sandbox.invoke(event);
      const { outcome, report } = invocation;
      this.stats.byOutcome[outcome.kind] = (this.stats.byOutcome[outcome.kind] ?? 0) + 1;
      this.opts.report(`sandbox ${sandbox.id}: ${reportLine(report)}`);
      if (sandbox.alive) this.idle.push({ sandbox, since: Date.now() });
      else {
        this.stats.killed++;
        this.opts.report(`sandbox ${sandbox.id} is gone (${outcome.errorType}); the next invocation starts a new one`);
      }
      return invocation;
    } finally {
      this.busy.delete(sandbox);
    }
  }

  /** An event source mapping handler: the response, or a thrown {@link FunctionError} for a failed invocation. */
  handler(): (event: unknown, context: Context) => Promise<unknown> {
    return async (event) => {
      const { outcome } = await this.invoke(event);
      if (outcome.kind !== 'success') throw new FunctionError(outcome.errorType ?? outcome.kind, outcome.payload);
      return outcome.payload.trim() === '' ? null : JSON.parse(outcome.payload);
    };
  }

  private async reap(): Promise<void> {
    const now = Date.now();
    for (let i = this.idle.length - 1; i >= 0; i--) {
      const { sandbox, since } = this.idle[i]!;
      if (now - since < this.opts.idleMs) continue;
      this.idle.splice(i, 1);
      this.stats.idleStops++;
      this.opts.report(
        `sandbox ${sandbox.id} idle for ${this.opts.idleMs} ms: stopped (the next invocation starts cold)`,
      );
      await sandbox.stop();
    }
  }

  /** Stops every sandbox, busy ones too (their invocations fail); later invocations throw {@link SandboxPoolClosedError}. */
  async stop(): Promise<void> {
    this.closed = true;
    clearInterval(this.reaper);
    const all = [...this.idle.map((i) => i.sandbox), ...this.busy];
    this.idle.length = 0;
    await Promise.all(all.map((s) => s.stop()));
  }
}
