/** Raised for an invalid configuration; the message names the offending key (every offending key, see below). */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * Collects the problems of a configuration so that one error names every bad key at once, as the function's
 * runtime does for its settings (lib/settings/catalogue.ts `readSettings`).
 */
export class ConfigProblems {
  private readonly problems: string[] = [];

  /** Records a problem. */
  public add(message: string): void {
    this.problems.push(message);
  }

  /** Runs a check that throws; its `ConfigError` (one or several problems) is recorded, anything else propagates. */
  public check<T>(run: () => T): T | undefined {
    try {
      return run();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      // A list (a header line, then one problem a line) contributes its problems.
      const lines = err.message.split('\n');
      this.problems.push(...(lines.length > 1 ? lines.slice(1) : lines));
      return undefined;
    }
  }

  public get count(): number {
    return this.problems.length;
  }

  /** Throws one `ConfigError`: the problem itself, or a list of them. */
  public throwIfAny(): void {
    if (this.problems.length === 1) throw new ConfigError(this.problems[0]!);
    if (this.problems.length > 1) {
      throw new ConfigError(
        `${this.problems.length} configuration problems:\n${this.problems.map((p) => `  ${p.trim()}`).join('\n')}`,
      );
    }
  }
}
