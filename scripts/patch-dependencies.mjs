/**
 * postinstall: small, named fixes to dependencies, applied to node_modules after every `npm ci`.
 * Each fix replaces one exact passage; if the passage is neither found nor already fixed (the
 * dependency changed), the install fails loudly so the fix is revisited, never silently skipped.
 * Plain JavaScript so that npm's own Node can run it before the project's Node 24 is on the PATH.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');

export const FIXES = [
  {
    name: 'kafkajs: no 1 ms re-check timer when nothing is pending',
    why:
      'RequestQueue re-armed its pending-request check every millisecond on every broker connection ' +
      '(kafkajs#1704: ~3% of a core per idle connection, measured) and Node 24 warns TimeoutNegativeWarning ' +
      'for its negative delay (kafkajs#1751). push() checks the queue when a request arrives, so an empty, ' +
      'unthrottled queue needs no timer.',
    file: 'node_modules/kafkajs/src/network/requestQueue/index.js',
    find: `        scheduleAt = scheduleAt > 0 ? scheduleAt : CHECK_PENDING_REQUESTS_INTERVAL
      }
`,
    replace: `        scheduleAt = scheduleAt > 0 ? scheduleAt : CHECK_PENDING_REQUESTS_INTERVAL
      } else if (scheduleAt <= 0) {
        return // patched by scripts/patch-dependencies.mjs: nothing pending, not throttled
      }
`,
  },
];

for (const fix of FIXES) {
  const path = join(ROOT, fix.file);
  const source = readFileSync(path, 'utf8');
  if (source.includes(fix.replace)) continue;
  if (!source.includes(fix.find)) {
    console.error(`patch-dependencies: "${fix.name}" no longer applies to ${fix.file}; revisit it (${fix.why})`);
    process.exit(1);
  }
  writeFileSync(path, source.replace(fix.find, fix.replace));
  console.error(`patch-dependencies: ${fix.name}`);
}
