/** The catalogue's redrive settings: the topics it reads and writes back to, and its consumer groups. */
import { type SettingReader, text } from '../setting.js';
import { DEFAULT_TOPICS } from './topics.js';

const REDRIVE_ONLY: readonly SettingReader[] = ['redrive'];

export const REDRIVE_SETTINGS = {
  INPUT_TOPIC: text({
    default: DEFAULT_TOPICS.input,
    scope: 'wired',
    readBy: ['redrive', 'ingest'],
    doc: "The event source mapping's input (prefixed): the redrive puts records back on it, the ingest writes EventStreams to it.",
  }),
  ON_FAILURE_TOPIC: text({
    default: DEFAULT_TOPICS.onFailure,
    scope: 'wired',
    readBy: REDRIVE_ONLY,
    doc: "The event source mapping's on-failure destination (prefixed), read by `--from on-failure`.",
  }),
  REDRIVE_GROUP_PREFIX: text({
    default: 'mw-page-content-change-enrich.redrive.',
    scope: 'wired',
    readBy: REDRIVE_ONLY,
    doc: "Prefix of the redrive's consumer groups (`<prefix>error`, `<prefix>on-failure`).",
  }),
} as const;
