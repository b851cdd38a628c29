/** Every relative link and anchor of README.md and docs/*.md resolves, as GitHub resolves them. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { anchorsOf, brokenLinks, githubSlug, namedPaths, relativeLinks } from '../support/markdown-links.js';
import { documentationFiles } from '../support/readme-blocks.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

test('every relative link and #anchor in README.md and docs/*.md resolves', () => {
  const files = documentationFiles(ROOT);
  assert.ok(files.length > 5, `README.md and the docs pages: ${files.join(', ')}`);
  assert.deepEqual(
    files.flatMap((f) => brokenLinks(ROOT, f)),
    [],
  );
});

/** Paths a page names on purpose although they are not in the repository, and why. */
const NAMED_ELSEWHERE: Record<string, string> = {
  'infra/environments/local/': 'the reader creates it (gitignored)',
  'infra/environments/local/my-env.json': 'the reader creates it (gitignored)',
  'bench/codecs.ts': 'named as the former bench, removed once its findings were recorded',
};

test('every repository file a page names in a code span exists (a moved file leaves no stale name)', () => {
  const stale = documentationFiles(ROOT).flatMap((file) =>
    namedPaths(readFileSync(path.join(ROOT, file), 'utf8'))
      .filter(({ target }) => !(target in NAMED_ELSEWHERE) && !existsSync(path.join(ROOT, target)))
      .map(({ line, target }) => `${file}:${line} names ${target}`),
  );
  assert.deepEqual(stale, []);
  assert.deepEqual(
    namedPaths('see `lib/a/{b,c}.ts`, `test/unit/*.test.ts` and `.local/x`\n```\n`lib/in-fence.ts`\n```'),
    [
      { line: 1, target: 'lib/a/b.ts' },
      { line: 1, target: 'lib/a/c.ts' },
    ],
  );
});

test('anchors follow GitHub: lowercase, punctuation dropped, spaces to hyphens, repeats numbered', () => {
  assert.equal(githubSlug('Redrive: after an outage (runbook)'), 'redrive-after-an-outage-runbook');
  assert.equal(
    githubSlug('Behind a service mesh proxy (one URL, the wiki chosen by Host)'),
    'behind-a-service-mesh-proxy-one-url-the-wiki-chosen-by-host',
  );
  assert.equal(githubSlug('Failures (the MediaWiki failure table)'), 'failures-the-mediawiki-failure-table');
  assert.equal(githubSlug('Node 24 — über_fast'), 'node-24--über_fast');
  assert.deepEqual(
    [
      ...anchorsOf(
        '# Title\n## A `code` [link](x.md)\n```\n# not a heading\n```\n## A code link\n<a id="custom"></a>\n',
      ),
    ],
    ['title', 'a-code-link', 'a-code-link-1', 'custom'],
  );
});

test('links inside code are not links; web links are not checked here', () => {
  assert.deepEqual(
    relativeLinks('see [a](a.md#x) and `[b](b.md)`\n```\n[c](c.md)\n```\n[d](https://example.org) ![i](images/i.svg)'),
    [
      { line: 1, target: 'a.md#x' },
      { line: 5, target: 'images/i.svg' },
    ],
  );
});

test('a broken link is reported with its file, line and why', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'doc-links-'));
  try {
    writeFileSync(
      path.join(root, 'page.md'),
      '# Page\n\n[gone](missing.md)\n[bad anchor](page.md#no-such-heading)\n[here](#also-missing) [fine](#page)\n',
    );
    assert.deepEqual(brokenLinks(root, 'page.md'), [
      'page.md:3 → missing.md: no such file',
      'page.md:4 → page.md#no-such-heading: no heading has this anchor',
      'page.md:5 → #also-missing: no heading has this anchor',
    ]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
