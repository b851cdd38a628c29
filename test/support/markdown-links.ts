/**
 * Relative links and anchors of Markdown pages, as GitHub resolves them: a heading's anchor is its
 * rendered text lowercased, with every character that is not a letter, mark, digit, connector
 * (`_`), space or hyphen removed and each space made a hyphen; a repeated anchor gets `-1`, `-2`, …
 * (github-slugger, which GitHub's renderer follows).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** GitHub's anchor for a heading whose rendered text is `text`. */
export function githubSlug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** A heading's rendered text: links keep their text, code spans and emphasis lose their markers. */
function renderedText(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/`([^`]*)`/g, '$1')
    .replace(/(\*\*|__)(.+?)\1/g, '$2')
    .replace(/(^|\W)[*_](.+?)[*_](?=\W|$)/g, '$1$2')
    .trim();
}

/** The page without fenced code blocks (their lines become empty, so line numbers hold). */
function withoutFences(markdown: string): string[] {
  let fenced = false;
  return markdown.split('\n').map((line) => {
    if (/^\s*```/.test(line)) {
      fenced = !fenced;
      return '';
    }
    return fenced ? '' : line;
  });
}

/** Every anchor a page defines: its headings' (de-duplicated as GitHub does) and explicit `id`/`name` ones. */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of withoutFences(markdown)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading !== undefined) {
      const slug = githubSlug(renderedText(heading));
      const count = seen.get(slug) ?? 0;
      seen.set(slug, count + 1);
      anchors.add(count === 0 ? slug : `${slug}-${count}`);
    }
    for (const m of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(m[1]!);
  }
  return anchors;
}

export interface MarkdownLink {
  readonly line: number;
  readonly target: string;
}

/** The relative links and images of a page (outside code), with their line; web and mail links are left out. */
export function relativeLinks(markdown: string): MarkdownLink[] {
  const links: MarkdownLink[] = [];
  withoutFences(markdown).forEach((raw, i) => {
    const line = raw.replace(/`[^`]*`/g, '');
    for (const m of line.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      const target = m[1]!;
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
      links.push({ line: i + 1, target });
    }
  });
  return links;
}

/** What is wrong with each relative link of `file` (relative to `root`): a missing file, or an anchor its page lacks. */
export function brokenLinks(root: string, file: string): string[] {
  const markdown = readFileSync(path.join(root, file), 'utf8');
  const problems: string[] = [];
  for (const { line, target } of relativeLinks(markdown)) {
    const [rawPath, anchor] = target.split('#', 2) as [string, string | undefined];
    const resolved =
      rawPath === '' ? path.join(root, file) : path.resolve(path.dirname(path.join(root, file)), decodeURI(rawPath));
    const where = `${file}:${line} → ${target}`;
    if (!resolved.startsWith(`${path.resolve(root)}${path.sep}`) && resolved !== path.resolve(root)) {
      problems.push(`${where}: outside the repository`);
    } else if (!existsSync(resolved)) {
      problems.push(`${where}: no such file`);
    } else if (anchor !== undefined) {
      if (!statSync(resolved).isFile() || !resolved.endsWith('.md'))
        problems.push(`${where}: an anchor into a non-Markdown file`);
      else if (!anchorsOf(readFileSync(resolved, 'utf8')).has(anchor))
        problems.push(`${where}: no heading has this anchor`);
    }
  }
  return problems;
}

/** `a/{b,c}.ts` → `a/b.ts`, `a/c.ts` (one level of braces, as the pages write file groups). */
function expandBraces(p: string): string[] {
  const m = /^(.*?)\{([^{}]*)\}(.*)$/.exec(p);
  return m ? m[2]!.split(',').flatMap((alt) => expandBraces(`${m[1]}${alt}${m[3]}`)) : [p];
}

/**
 * The repository paths a page names in code spans (`lib/…`, `test/…`, `scripts/…`, …, outside fenced
 * blocks), with their line; globs and placeholders (`*`, `<…>`, `…`) are left out, brace groups expanded.
 */
export function namedPaths(markdown: string): MarkdownLink[] {
  const paths: MarkdownLink[] = [];
  withoutFences(markdown).forEach((line, i) => {
    for (const m of line.matchAll(/`((?:lib|test|scripts|bench|infra|functions|samples|docs)\/[^`\s]*)`/g)) {
      const named = m[1]!.replace(/[.,;:]$/, '');
      if (/[*<…]/.test(named)) continue;
      for (const target of expandBraces(named)) paths.push({ line: i + 1, target });
    }
  });
  return paths;
}
