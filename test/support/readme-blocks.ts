/**
 * The README's runnable command blocks: a fenced block right after an HTML comment
 * `<!-- readme-test: NAME -->`. The README end-to-end test runs them as written, so the commands
 * live in README.md alone and the test holds only what each block promises.
 */
import { readFileSync } from 'node:fs';

export interface ReadmeBlock {
  readonly name: string;
  /** The block's text, without the fences. */
  readonly text: string;
  /** Line of the marker in README.md, 1-based (for messages). */
  readonly line: number;
}

const MARKER = /^<!-- readme-test: ([a-z0-9-]+) -->$/;

/** Every marked block of `markdown`, in order; a marker not followed by a fenced block is an error. */
export function readmeBlocks(markdown: string): ReadmeBlock[] {
  const lines = markdown.split('\n');
  const blocks: ReadmeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const name = MARKER.exec(lines[i]!.trim())?.[1];
    if (!name) continue;
    if (!/^```\w*$/.test(lines[i + 1] ?? '')) {
      throw new Error(`README.md:${i + 1}: marker "${name}" is not followed by a fenced block`);
    }
    const end = lines.indexOf('```', i + 2);
    if (end < 0) throw new Error(`README.md:${i + 1}: the block of "${name}" is not closed`);
    blocks.push({ name, text: lines.slice(i + 2, end).join('\n'), line: i + 1 });
  }
  return blocks;
}

/** The marked block `name` of the README at `path`. */
export function readmeBlock(path: string, name: string): ReadmeBlock {
  const block = readmeBlocks(readFileSync(path, 'utf8')).find((b) => b.name === name);
  if (!block) throw new Error(`${path} has no block marked <!-- readme-test: ${name} -->`);
  return block;
}
