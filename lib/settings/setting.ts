/**
 * What a setting is: its type, default, bounds, one-line doc, and who sets and reads it; and the
 * builders the catalogue declares its entries with. Each parser throws a message naming the constraint.
 */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

/**
 * `tunable`: a `PipelineConfig` key in infra. `wired`: set by infra from cluster, topic and secret facts.
 * `lambda`: set by the Lambda runtime ("Defined runtime environment variables",
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime).
 */
export type SettingScope = 'tunable' | 'wired' | 'lambda';

/**
 * The functions that read settings, each with the heading of its table in docs/configuration.md (the enrichment
 * function's table comes first, under the page's own heading). Adding a reader: one entry here, then `readBy` on
 * the settings only it reads (`EVERY_READER` already names it).
 */
export const SETTING_READERS = {
  enrich: {},
  redrive: { title: '**Redrive function** (`functions/redrive/handler.ts`, `npm run redrive`)' },
  ingest: {
    title:
      '**EventStreams ingest** (`functions/eventstreams-ingest/handler.ts`, `npm run ingest`, [docs/ingest.md](ingest.md))',
  },
} as const satisfies Record<string, ReaderDoc>;

export interface ReaderDoc {
  /** Heading of the reader's table; @default - none (the first table) */
  readonly title?: string;
}

/** A function that reads settings. */
export type SettingReader = keyof typeof SETTING_READERS;

/** Every reader, in the order of {@link SETTING_READERS}. */
export const EVERY_READER = Object.keys(SETTING_READERS) as readonly SettingReader[];

const ENRICH_ONLY: readonly SettingReader[] = ['enrich'];

export interface Setting<T, S extends SettingScope = SettingScope> {
  readonly type: 'integer' | 'string' | 'list' | 'enum';
  /** Value when the variable is unset or blank; `undefined` = optional without a default. */
  readonly default: T;
  /** Documented wording of the default (docs/configuration.md) when the value itself is too long to show. */
  readonly defaultDoc?: string;
  /** A valid raw value, as the environment holds it, where the type alone suggests none (a URI, a User-Agent). */
  readonly example?: string;
  readonly doc: string;
  readonly scope: S;
  /** The functions that read it. */
  readonly readBy: readonly SettingReader[];
  readonly min?: number;
  readonly max?: number;
  readonly values?: readonly string[];
  /** Parses a non-blank raw value; throws a message (string) that names the constraint. */
  parse(raw: string): Exclude<T, undefined>;
}

/** The value type of a setting. */
export type SettingValue<S> = S extends Setting<infer T, SettingScope> ? T : never;

interface Common<D, S extends SettingScope> {
  readonly default: D;
  readonly defaultDoc?: string;
  readonly example?: string;
  readonly doc: string;
  /** @default 'tunable' */
  readonly scope?: S;
  /** @default ['enrich'] */
  readonly readBy?: readonly SettingReader[];
}

type Defined<D, T> = D extends undefined ? T | undefined : T;

export function integer<D extends number | undefined, S extends SettingScope = 'tunable'>(
  o: Common<D, S> & { min?: number; max?: number },
): Setting<Defined<D, number>, NoInfer<S>> {
  const min = o.min ?? 0;
  return {
    ...o,
    default: o.default as Defined<D, number>,
    type: 'integer',
    scope: o.scope ?? ('tunable' as S),
    readBy: o.readBy ?? ENRICH_ONLY,
    min,
    max: o.max,
    parse(raw) {
      const value = Number(raw);
      if (
        !/^-?\d+$/.test(raw) ||
        !Number.isSafeInteger(value) ||
        value < min ||
        (o.max !== undefined && value > o.max)
      ) {
        throw `must be an integer ${o.max === undefined ? `>= ${min}` : `from ${min} to ${o.max}`}`;
      }
      return value as Exclude<Defined<D, number>, undefined>;
    },
  };
}

export function text<D extends string | undefined, S extends SettingScope = 'tunable'>(
  o: Common<D, S>,
): Setting<Defined<D, string>, NoInfer<S>> {
  return {
    ...o,
    default: o.default as Defined<D, string>,
    type: 'string',
    scope: o.scope ?? ('tunable' as S),
    readBy: o.readBy ?? ENRICH_ONLY,
    parse: (raw) => raw as Exclude<Defined<D, string>, undefined>,
  };
}

export function list<D extends readonly string[] | undefined, S extends SettingScope = 'tunable'>(
  o: Common<D, S> & {
    /** What is wrong with one item, or `undefined` when it is fine. */
    readonly item?: (item: string) => string | undefined;
  },
): Setting<Defined<D, readonly string[]>, NoInfer<S>> {
  return {
    ...o,
    default: o.default as Defined<D, readonly string[]>,
    type: 'list',
    scope: o.scope ?? ('tunable' as S),
    readBy: o.readBy ?? ENRICH_ONLY,
    parse(raw) {
      const items = raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
      if (items.length === 0) throw 'must list at least one comma-separated value';
      for (const item of items) {
        const problem = o.item?.(item);
        if (problem) throw `${JSON.stringify(item)} ${problem}`;
      }
      return items as unknown as Exclude<Defined<D, readonly string[]>, undefined>;
    },
  };
}

export function oneOf<
  const V extends readonly string[],
  D extends V[number] | undefined,
  S extends SettingScope = 'tunable',
>(values: V, o: Common<D, S>): Setting<Defined<D, V[number]>, NoInfer<S>> {
  return {
    ...o,
    default: o.default as Defined<D, V[number]>,
    type: 'enum',
    scope: o.scope ?? ('tunable' as S),
    readBy: o.readBy ?? ENRICH_ONLY,
    values,
    parse(raw) {
      if (!values.includes(raw)) throw `must be one of ${values.join(', ')}`;
      return raw as Exclude<Defined<D, V[number]>, undefined>;
    },
  };
}
