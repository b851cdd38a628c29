/**
 * Captures everything the process would log: every console method (Powertools logger and
 * metrics in POWERTOOLS_DEV mode, kafkajs' logger) and text written straight to stdout/stderr.
 * Objects are rendered deeply, so a secret nested in a logged object is found even where the
 * console would have printed `[Object]`. Binary writes (the test runner's own protocol) pass through.
 */
import { inspect } from 'node:util';

export interface Capture {
  readonly lines: string[];
  text(): string;
  restore(): void;
}

const METHODS = ['log', 'info', 'warn', 'error', 'debug', 'trace', 'dir'] as const;

/** `forward`: also hand everything to what was installed before (an enclosing capture). */
export function captureOutput(opts: { forward?: boolean } = {}): Capture {
  const lines: string[] = [];
  const render = (args: unknown[]) =>
    args
      .map((a) =>
        typeof a === 'string'
          ? a
          : inspect(a, { depth: 20, breakLength: Infinity, maxStringLength: Infinity, maxArrayLength: Infinity }),
      )
      .join(' ');
  const savedConsole = METHODS.map((m) => [m, console[m]] as const);
  for (const [m, previous] of savedConsole) {
    (console as any)[m] = (...args: unknown[]) => {
      lines.push(render(args));
      if (opts.forward) previous.apply(console, args);
    };
  }
  const streams = [process.stdout, process.stderr] as const;
  const savedWrites = streams.map((s) => s.write);
  streams.forEach((stream, i) => {
    const original = savedWrites[i]!;
    (stream as any).write = (chunk: unknown, ...rest: unknown[]) => {
      if (typeof chunk === 'string') {
        lines.push(chunk);
        if (opts.forward) return original.call(stream, chunk, ...(rest as any[]));
        const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
        cb?.();
        return true;
      }
      return original.call(stream, chunk as any, ...(rest as any[]));
    };
  });
  return {
    lines,
    text: () => lines.join('\n'),
    restore: () => {
      for (const [m, fn] of savedConsole) (console as any)[m] = fn;
      streams.forEach((s, i) => {
        (s as any).write = savedWrites[i];
      });
    },
  };
}

/** Every spelling of a secret a log line could carry it in. */
export function spellings(secret: string): string[] {
  return [
    ...new Set([
      secret,
      encodeURIComponent(secret),
      JSON.stringify(secret).slice(1, -1),
      Buffer.from(secret).toString('base64'),
    ]),
  ];
}

/** Asserts none of the secrets appears in `text`; the message shows where, not the whole text. */
export function findSecrets(text: string, secrets: Record<string, string>): string[] {
  const found: string[] = [];
  for (const [name, secret] of Object.entries(secrets)) {
    for (const s of spellings(secret)) {
      const at = text.indexOf(s);
      if (at >= 0)
        found.push(`${name} at …${text.slice(Math.max(0, at - 120), at).replaceAll(s, '<SECRET>')}<SECRET>…`);
    }
  }
  return found;
}
