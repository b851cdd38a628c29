/**
 * The documentation's runnable command blocks: a fenced block right after an HTML comment
 * `<!-- readme-test: NAME -->`, in README.md or a page of docs/. The end-to-end test
 * (test/e2e/readme.test.ts) runs them as written, so the commands live in the documentation alone
 * and the test holds only what each block promises. A block fenced as `text` is an outcome the
 * documentation shows, compared with what a command block printed, never run.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface ReadmeBlock {
  readonly name: string;
  /** The block's text, without the fences. */
  readonly text: string;
  /** Line of the marker in its file, 1-based (for messages). */
  readonly line: number;
  /** The fence's info string (`sh`, `text`, …), empty when none. */
  readonly lang: string;
  /** The file it is in, relative to the repository root (`README.md`, `docs/operations.md`). */
  readonly file: string;
}

const MARKER = /^<!-- readme-test: ([a-z0-9-]+) -->$/;

/** Every marked block of `markdown`, in order; a marker not followed by a fenced block is an error. */
export function readmeBlocks(markdown: string, file = 'README.md'): ReadmeBlock[] {
  const lines = markdown.split('\n');
  const blocks: ReadmeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const name = MARKER.exec(lines[i]!.trim())?.[1];
    if (!name) continue;
    const fence = /^```(\w*)$/.exec(lines[i + 1] ?? '');
    if (!fence) throw new Error(`${file}:${i + 1}: marker "${name}" is not followed by a fenced block`);
    const end = lines.indexOf('```', i + 2);
    if (end < 0) throw new Error(`${file}:${i + 1}: the block of "${name}" is not closed`);
    blocks.push({ name, text: lines.slice(i + 2, end).join('\n'), line: i + 1, lang: fence[1]!, file });
  }
  return blocks;
}

/** The documentation's pages, relative to `root`: README.md, then docs/*.md in name order. */
export function documentationFiles(root: string): string[] {
  const docs = readdirSync(path.join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`);
  return ['README.md', ...docs];
}

/** Every marked block of the documentation under `root`, file by file. */
export function documentedBlocks(root: string): ReadmeBlock[] {
  return documentationFiles(root).flatMap((file) => readmeBlocks(readFileSync(path.join(root, file), 'utf8'), file));
}

/** The marked block `name`, wherever in the documentation under `root` it is. */
export function documentedBlock(root: string, name: string): ReadmeBlock {
  const block = documentedBlocks(root).find((b) => b.name === name);
  if (!block) throw new Error(`no page under ${root} has a block marked <!-- readme-test: ${name} -->`);
  return block;
}
