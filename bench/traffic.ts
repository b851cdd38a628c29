/**
 * The sizes of the content that edits really touch (issue 25), for the bench's main workload.
 *
 * Source: sixteen consecutive `mediawiki.page_change.v1` events captured from Wikimedia's public
 * EventStreams (https://stream.wikimedia.org/v2/stream/mediawiki.page_change.v1) in September 2026, as
 * issue 25 lists them: their summed slot `content_size`. Median about 5.5 KB, mean 21 KB, 3 of 16 above
 * 60 KB; one has two slots (`main` + `mediainfo`).
 *
 * Fit: a point mass at 0 B (1 of 16) and a log-normal fitted by maximum likelihood to the logarithms of
 * the other fifteen, cut at 2 MiB ($wgMaxArticleSize, https://www.mediawiki.org/wiki/Manual:$wgMaxArticleSize).
 * Heavy-tailed: the fitted log-normal has a long right tail (σ ≈ 2.9), so a batch draws a few pages of
 * hundreds of KB and, now and then, one at the 2 MiB limit.
 */

/** Bytes of the sixteen captured events (issue 25). */
export const PAGE_CHANGE_SAMPLE_BYTES: readonly number[] = [
  0, 29, 40, 56, 56, 1_600, 1_600, 2_100, 5_300, 5_800, 7_500, 11_500, 13_100, 69_000, 106_000, 119_000,
];

export const MAX_SLOT_BYTES = 2 * 1024 * 1024;

export interface SizeFit {
  /** Share of events of 0 B. */
  readonly zeroShare: number;
  /** Mean and standard deviation of ln(bytes) of the others. */
  readonly mu: number;
  readonly sigma: number;
}

export function fitSizes(sample: readonly number[] = PAGE_CHANGE_SAMPLE_BYTES): SizeFit {
  const logs = sample.filter((b) => b > 0).map(Math.log);
  const mu = logs.reduce((a, b) => a + b, 0) / logs.length;
  const sigma = Math.sqrt(logs.reduce((a, b) => a + (b - mu) ** 2, 0) / logs.length);
  return { zeroShare: (sample.length - logs.length) / sample.length, mu, sigma };
}

/** One size drawn from the fit, in [0, MAX_SLOT_BYTES]. */
export function drawSize(rand: () => number, fit: SizeFit = fitSizes()): number {
  if (rand() < fit.zeroShare) return 0;
  const gauss = Math.sqrt(-2 * Math.log(Math.max(rand(), 1e-12))) * Math.cos(2 * Math.PI * rand());
  return Math.min(MAX_SLOT_BYTES, Math.round(Math.exp(fit.mu + fit.sigma * gauss)));
}
