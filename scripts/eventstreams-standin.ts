/**
 * `npm run eventstreams:standin -- [--port N] [--events N] [--rate N] [--drop-every N] [--throttle-every N]
 *   [--heartbeat-ms N] [--bad-data-every N] [--bad-id-every N] [--retain-from N] [--samples production|demo]`:
 * a development stand-in for Wikimedia's EventStreams (scripts/lib/eventstreams/stand-in.ts), for the
 * ingest's tests and demo. Prints its stream URL on stdout; Ctrl-C stops it. Never shipped.
 */
import { parseArgs } from 'node:util';
import { argsOrExit } from './lib/cli.js';
import { startStandIn } from './lib/eventstreams/stand-in.js';

const USAGE =
  'usage: npm run eventstreams:standin -- [--port N] [--events N] [--rate N] [--drop-every N] [--throttle-every N] ' +
  '[--heartbeat-ms N] [--bad-data-every N] [--bad-id-every N] [--retain-from N] [--samples production|demo]';
const { values } = argsOrExit(USAGE, () =>
  parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      events: { type: 'string', default: '5000' },
      rate: { type: 'string' },
      'drop-every': { type: 'string' },
      'throttle-every': { type: 'string' },
      'heartbeat-ms': { type: 'string' },
      'bad-data-every': { type: 'string' },
      'bad-id-every': { type: 'string' },
      'retain-from': { type: 'string' },
      samples: { type: 'string', default: 'production' },
    },
  }),
);
const int = (name: keyof typeof values): number | undefined => {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (typeof raw !== 'string' || !/^\d+$/.test(raw) || !Number.isSafeInteger(n)) {
    console.error(`--${name} must be a whole number, got ${JSON.stringify(raw)}\n${USAGE}`);
    process.exit(2);
  }
  return n;
};
if (values.samples !== 'production' && values.samples !== 'demo') {
  console.error(`--samples must be production or demo\n${USAGE}`);
  process.exit(2);
}
const standIn = await startStandIn({
  port: int('port'),
  events: int('events'),
  rate: int('rate'),
  dropEvery: int('drop-every'),
  throttleEvery: int('throttle-every'),
  heartbeatMs: int('heartbeat-ms'),
  badDataEvery: int('bad-data-every'),
  badIdEvery: int('bad-id-every'),
  retainFrom: int('retain-from'),
  samples: values.samples,
});
console.log(standIn.url);
console.error(
  `[eventstreams-standin] serving ${values.events} ${values.samples} events at ${standIn.url}; Ctrl-C to stop`,
);
const stop = () => void standIn.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
