/**
 * Reading an Action API answer: bytes (gzip or not) to JSON, JSON checked against the shape the
 * client walks, and each returned revision to a result. What a body that cannot be read means
 * for retries is the failure table's call (`failure-table.ts`).
 */
import { constants as zlibConstants, gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { ContentHiddenError, MediaWikiApiError } from './errors.js';
import type { DeadlineExceededError, EnrichError } from '../core/errors.js';
import { notJsonFailure, notQueryResponseFailure, truncatedGzipFailure } from './failure-table.js';

const gunzipAsync = promisify(gunzip);

/** Largest output buffer one gunzip call takes at once (a trailer is the sender's word, so it is bounded). */
const MAX_INFLATE_CHUNK_BYTES = 8 * 1024 * 1024;

/**
 * Output buffer for inflating `gz`: the size its trailer states (ISIZE, the input's length modulo
 * 2^32; RFC 1952, "GZIP file format specification", section 2.3.1), so that the thread pool inflates
 * a response in one trip instead of one per 16 KiB, each a hop back to the main thread.
 */
export function inflatedChunkBytes(gz: Buffer): number {
  const stated = gz.length >= 18 ? gz.readUInt32LE(gz.length - 4) : 0;
  return Math.min(Math.max(stated + 1, zlibConstants.Z_DEFAULT_CHUNK), MAX_INFLATE_CHUNK_BYTES);
}

export interface SlotContent {
  readonly role: string;
  readonly content: string;
  readonly contentModel?: string;
  readonly contentFormat?: string;
  /** Hex SHA-1 as the API reports it. */
  readonly sha1Hex?: string;
  readonly size?: number;
}

export interface FetchedRevision {
  readonly revId: number;
  readonly pageId: number;
  readonly slots: ReadonlyMap<string, SlotContent>;
}

export type RevisionResult =
  | { readonly ok: true; readonly revision: FetchedRevision }
  | { readonly ok: false; readonly error: EnrichError | DeadlineExceededError };

export interface ApiPage {
  pageid?: number;
  revisions?: ApiRevision[];
}
export interface ApiRevision {
  revid: number;
  slots?: Record<
    string,
    {
      content?: string;
      contentmodel?: string;
      contentformat?: string;
      sha1?: string;
      size?: number;
      texthidden?: boolean;
      textmissing?: boolean;
    }
  >;
}
export interface ApiResponse {
  error?: { code?: string; info?: string };
  continue?: Record<string, string>;
  query?: { pages?: ApiPage[]; badrevids?: Record<string, unknown> | unknown[] };
}

/**
 * The JSON of a 200 answer, unzipped when `contentEncoding` is gzip. Throws the failure table's
 * failure for a truncated gzip body, a body that is not JSON, and JSON of another shape.
 */
export async function parseApiResponse(
  body: Buffer,
  contentEncoding: string | string[] | undefined,
  host: string,
): Promise<ApiResponse> {
  if (contentEncoding === 'gzip') {
    try {
      body = await gunzipAsync(body, { chunkSize: inflatedChunkBytes(body) });
    } catch (err) {
      throw truncatedGzipFailure(err, host);
    }
  }
  let json: ApiResponse;
  try {
    json = JSON.parse(body.toString('utf8')) as ApiResponse;
  } catch {
    throw notJsonFailure(host);
  }
  // Without this, `null` or a formatversion=1 `pages` object throws a TypeError that rejects the whole batch.
  if (!isApiResponse(json)) throw notQueryResponseFailure(host);
  return json;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The shape the client and `revisionResultFor` walk: anything else would throw a TypeError there. */
function isApiResponse(json: unknown): json is ApiResponse {
  if (!isObject(json)) return false;
  if (json.error !== undefined && !isObject(json.error)) return false;
  if (json.continue !== undefined && !isObject(json.continue)) return false;
  if (json.query === undefined) return true;
  if (!isObject(json.query)) return false;
  const pages = json.query.pages;
  if (pages === undefined) return true;
  if (!Array.isArray(pages)) return false;
  return pages.every(
    (p) =>
      isObject(p) &&
      (p.revisions === undefined ||
        (Array.isArray(p.revisions) &&
          p.revisions.every(
            (r) =>
              isObject(r) && (r.slots === undefined || (isObject(r.slots) && Object.values(r.slots).every(isObject))),
          ))),
  );
}

/**
 * The result of one returned revision: its content, or `ContentHidden` / a missing-text error.
 * `undefined` when its content is held back for a continuation.
 */
export function revisionResultFor(rev: ApiRevision, pageId: number, domain: string): RevisionResult | undefined {
  const slots = new Map<string, SlotContent>();
  for (const [role, slot] of Object.entries(rev.slots ?? {})) {
    if (slot.texthidden) {
      return {
        ok: false,
        error: new ContentHiddenError(`content of revision ${rev.revid} on ${domain} is hidden (slot ${role})`),
      };
    }
    if (slot.textmissing) {
      return {
        ok: false,
        error: new MediaWikiApiError(
          `content of revision ${rev.revid} on ${domain} is missing from storage (slot ${role})`,
        ),
      };
    }
    // A revision without content in a continued response: the body comes with a later page.
    if (typeof slot.content !== 'string') return undefined;
    slots.set(role, {
      role,
      content: slot.content,
      contentModel: slot.contentmodel,
      contentFormat: slot.contentformat,
      sha1Hex: slot.sha1,
      size: slot.size,
    });
  }
  if (slots.size === 0) return undefined;
  return { ok: true, revision: { revId: rev.revid, pageId, slots } };
}
