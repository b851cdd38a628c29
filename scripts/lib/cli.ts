/** What the command-line scripts share: invalid settings end the process with the message alone. */
import { ConfigurationError } from '../../lib/settings/catalogue.js';

/** Exit status of a command run with invalid settings or arguments (as for a usage error). */
export const EXIT_USAGE = 2;

/**
 * Runs `read` (a reader of settings from the environment) and returns its result; a
 * `ConfigurationError` prints its message, which names every invalid variable, and exits 2 instead
 * of surfacing as a stack trace. Other errors are not configuration errors and propagate.
 */
export function settingsOrExit<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (!(err instanceof ConfigurationError)) throw err;
    console.error(err.message);
    process.exit(EXIT_USAGE);
  }
}

/** Parses the command line with `parse` (node:util parseArgs); an unknown or malformed option prints the message and the usage and exits 2. */
export function argsOrExit<T>(usage: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    console.error(`${(err as Error).message}\n${usage}`);
    process.exit(EXIT_USAGE);
  }
}

/**
 * With POWERTOOLS_DEV the handler's logger writes through the global console: every console
 * level goes to stderr, so that stdout carries only what a script promises (a response, a summary).
 */
export function logsToStderr(): void {
  for (const level of ['log', 'info', 'debug', 'warn'] as const) console[level] = console.error.bind(console);
}
