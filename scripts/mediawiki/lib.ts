/**
 * Local MediaWiki for tests, benches and the demo: start it (via setup.sh/start.sh) and
 * talk to its Action API as the Admin account.
 *
 * Used by test/support/mediawiki.ts, the bench and scripts/mediawiki/seed.ts.
 *
 * Env:
 *   MW_API_URL     use an already running wiki (e.g. http://127.0.0.1:8765/api.php); skips setup/start
 *   MW_DIR         install dir (default <repo>/.local/mediawiki)
 *   MW_PORT        port for a server we start (default 8765)
 *   MW_ADMIN_USER  default Admin
 *   MW_ADMIN_PASS  default adminpass-local-123456 (must match what setup.sh installed)
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const SCRIPTS_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(SCRIPTS_DIR, '../..');

export interface MediaWikiInstance {
  apiUrl: string;
  port: number;
  /** Install dir, or '' when MW_API_URL points at a wiki we did not set up. */
  dir: string;
}

/** A revision as MediaWiki stored it (after its own normalisation, see createRevision). */
export interface StoredRevision {
  pageId: number;
  revId: number;
  parentId: number;
  /** Hex SHA-1 of the main slot as reported by the API. */
  sha1Hex: string;
  /** Bytes (UTF-8) of the stored content. */
  size: number;
  /** Main-slot wikitext exactly as the API returns it. */
  text: string;
}

export function mediaWikiDir(): string {
  const dir = process.env.MW_DIR ?? '.local/mediawiki';
  return path.resolve(REPO_ROOT, dir);
}

let ensured: Promise<MediaWikiInstance> | undefined;

/**
 * Make sure a wiki is answering and return where. Runs setup.sh + start.sh unless MW_API_URL
 * is set. Both scripts are idempotent and take a file lock, so parallel test files are fine.
 * The server is left running (stop it with scripts/mediawiki/stop.sh).
 */
export function ensureMediaWiki(): Promise<MediaWikiInstance> {
  ensured ??= (async () => {
    const fromEnv = process.env.MW_API_URL;
    if (fromEnv) {
      const url = new URL(fromEnv);
      const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
      return { apiUrl: url.toString(), port, dir: '' };
    }
    const dir = mediaWikiDir();
    const env = { ...process.env, MW_DIR: dir };
    await runScript('setup.sh', env);
    const { stdout } = await runScript('start.sh', env);
    const apiUrl = stdout.trim().split('\n').pop() ?? '';
    const port = Number((await readFile(path.join(dir, 'server.port'), 'utf8')).trim());
    return { apiUrl, port, dir };
  })();
  // Let a later call retry after a failure instead of caching the rejection.
  ensured.catch(() => {
    ensured = undefined;
  });
  return ensured;
}

async function runScript(name: string, env: NodeJS.ProcessEnv): Promise<{ stdout: string; stderr: string }> {
  try {
    return await execFileAsync(path.join(SCRIPTS_DIR, name), [], { env, maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    throw new Error(`${name} failed: ${e.message}\n${e.stderr ?? ''}${e.stdout ?? ''}`);
  }
}

/** MediaWiki reports API errors as HTTP 200 with {"error": {code, info}}. */
export class DevWikiApiError extends Error {
  constructor(
    readonly code: string,
    readonly info: string,
    readonly response: unknown,
  ) {
    super(`MediaWiki API error ${code}: ${info}`);
    this.name = 'DevWikiApiError';
  }
}

type Params = Record<string, string | number | boolean | undefined>;
// Deliberately loose: callers pick out the few fields they need and check them.
// biome-ignore lint/suspicious/noExplicitAny: API responses are read field by field, as the wiki sends them
type Json = any;

/** Raw revision object from prop=revisions with formatversion=2. */
interface ApiRevision {
  revid: number;
  parentid: number;
  size: number;
  sha1?: string;
  sha1hidden?: true;
  slots?: { main?: { content?: string; texthidden?: true } };
}

const REVISION_PROPS = 'ids|sha1|size|content';

/**
 * Minimal Action API client. Keeps its own cookie jar (one session per client) because
 * neither fetch nor undici has one. A client created without credentials is anonymous,
 * which is what the enrichment Lambda sees (e.g. `texthidden` without the content).
 */
export class MediaWikiClient {
  private readonly cookies = new Map<string, string>();
  private csrfToken: string | undefined;
  private loggedIn: Promise<void> | undefined;

  constructor(
    readonly apiUrl: string,
    private readonly credentials?: { username: string; password: string },
  ) {}

  static admin(apiUrl: string): MediaWikiClient {
    return new MediaWikiClient(apiUrl, {
      username: process.env.MW_ADMIN_USER ?? 'Admin',
      password: process.env.MW_ADMIN_PASS ?? 'adminpass-local-123456',
    });
  }

  /** GET (reads, logged in if the client has credentials). Throws DevWikiApiError on {"error": …}. */
  async get(params: Params): Promise<Json> {
    await this.login();
    return this.call('GET', params);
  }

  /** Edit, log in first, retry once if the session or token went stale (sessions expire after 1 h). */
  async write(params: Params): Promise<Json> {
    for (let attempt = 0; ; attempt++) {
      await this.login();
      this.csrfToken ??= (
        await this.call('GET', { action: 'query', meta: 'tokens', type: 'csrf' })
      ).query.tokens.csrftoken;
      try {
        return await this.call('POST', { ...params, token: this.csrfToken, assert: 'user' });
      } catch (err) {
        const stale = err instanceof DevWikiApiError && (err.code === 'badtoken' || err.code === 'assertuserfailed');
        if (!stale || attempt > 0) throw err;
        this.cookies.clear();
        this.csrfToken = undefined;
        this.loggedIn = undefined;
      }
    }
  }

  login(): Promise<void> {
    if (!this.credentials) return Promise.resolve();
    const { username, password } = this.credentials;
    this.loggedIn ??= (async () => {
      const token = (await this.call('GET', { action: 'query', meta: 'tokens', type: 'login' })).query.tokens
        .logintoken;
      // clientlogin with the main password: action=login only accepts bot passwords cleanly.
      const res = await this.call('POST', {
        action: 'clientlogin',
        username,
        password,
        logintoken: token,
        loginreturnurl: 'http://127.0.0.1/',
      });
      if (res.clientlogin?.status !== 'PASS') {
        throw new Error(`MediaWiki login as ${username} failed: ${JSON.stringify(res.clientlogin)}`);
      }
    })();
    this.loggedIn.catch(() => {
      this.loggedIn = undefined;
    });
    return this.loggedIn;
  }

  /**
   * Create a new revision of `title` (creating the page if needed) and return what was stored.
   * MediaWiki normalises on save: trailing whitespace is trimmed, \r\n becomes \n, input is
   * NFC-normalised and wikitext pre-save transforms (~~~~, subst:) apply, so `text` in the result
   * can differ from the input. Throws if the text equals the current revision (MediaWiki then
   * makes no revision: "nochange").
   */
  async createRevision(title: string, text: string, summary = 'test revision'): Promise<StoredRevision> {
    const res = await this.write({ action: 'edit', title, text, summary });
    const edit = res.edit;
    if (edit?.result !== 'Success') throw new Error(`edit of ${title} failed: ${JSON.stringify(res)}`);
    if (edit.nochange) throw new Error(`edit of ${title} made no revision: text equals the current revision`);
    const rev = await this.revision(edit.newrevid);
    if (!rev) throw new Error(`revision ${edit.newrevid} of ${title} not found right after saving it`);
    return rev;
  }

  /** One revision by id, as this client sees it; null when the API lists it under badrevids. */
  async revision(revId: number): Promise<StoredRevision | null> {
    const res = await this.get({
      action: 'query',
      prop: 'revisions',
      revids: revId,
      rvprop: REVISION_PROPS,
      rvslots: 'main',
    });
    const page = res.query?.pages?.[0];
    const rev: ApiRevision | undefined = page?.revisions?.[0];
    return rev ? toStored(page.pageid, rev) : null;
  }

  /** Main-slot text of a revision exactly as the API returns it (the admin can read hidden text). */
  async revisionContent(revId: number): Promise<string> {
    const rev = await this.revision(revId);
    if (!rev) throw new Error(`revision ${revId} not found`);
    return rev.text;
  }

  /** Up to `limit` newest live revisions of a page, oldest first; [] if the page does not exist. */
  async latestRevisions(title: string, limit: number): Promise<StoredRevision[]> {
    const res = await this.get({
      action: 'query',
      prop: 'revisions',
      titles: title,
      rvprop: REVISION_PROPS,
      rvslots: 'main',
      rvlimit: limit,
    });
    const page = res.query.pages[0];
    if (page.missing || !page.revisions) return [];
    return (page.revisions as ApiRevision[]).map((r) => toStored(page.pageid, r)).reverse();
  }

  /**
   * Up to `limit` newest deleted revisions of a page (needs deletedhistory + deletedtext), oldest
   * first. The API gives no page id for archived revisions, so pageId is taken from the newest
   * deletion log entry (its `logpage`), or 0 if there is none.
   */
  async deletedRevisions(title: string, limit: number): Promise<StoredRevision[]> {
    const res = await this.get({
      action: 'query',
      prop: 'deletedrevisions',
      titles: title,
      drvprop: REVISION_PROPS,
      drvslots: 'main',
      drvlimit: limit,
      list: 'logevents',
      letype: 'delete',
      letitle: title,
      lelimit: 1,
      leprop: 'ids',
    });
    const revs: ApiRevision[] = res.query.pages[0]?.deletedrevisions ?? [];
    const pageId: number = res.query.logevents?.[0]?.logpage ?? 0;
    return revs.map((r) => toStored(pageId, r)).reverse();
  }

  async deletePage(title: string, reason = 'test deletion'): Promise<void> {
    await this.write({ action: 'delete', title, reason });
  }

  /** Hide a revision's content (revision deletion, not suppression: admins can still read it). */
  async hideRevisionContent(revId: number, reason = 'test revision deletion'): Promise<void> {
    const res = await this.write({ action: 'revisiondelete', type: 'revision', ids: revId, hide: 'content', reason });
    const rd = res.revisiondelete;
    const failed = (rd?.items ?? []).filter((i: Json) => i.status !== 'Success' || i.errors);
    if (rd?.status !== 'Success' || failed.length > 0) {
      throw new Error(`revisiondelete of ${revId} failed: ${JSON.stringify(res)}`);
    }
  }

  private async call(method: 'GET' | 'POST', params: Params): Promise<Json> {
    const all: Params = { format: 'json', formatversion: 2, ...params };
    const headers: Record<string, string> = { 'user-agent': 'mw-page-content-change-enrich tests' };
    if (this.cookies.size > 0) {
      headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    }
    let url = this.apiUrl;
    let body: URLSearchParams | FormData | undefined;
    const entries = Object.entries(all).filter((e): e is [string, string | number | boolean] => e[1] !== undefined);
    if (method === 'GET') {
      url += `?${new URLSearchParams(entries.map(([k, v]) => [k, String(v)])).toString()}`;
    } else if (entries.some(([, v]) => typeof v === 'string' && v.length > 8192)) {
      // Multipart for big texts: url-encoding would triple non-ASCII bytes.
      body = new FormData();
      for (const [k, v] of entries) body.append(k, String(v));
    } else {
      body = new URLSearchParams(entries.map(([k, v]) => [k, String(v)]));
    }
    const res = await fetch(url, { method, headers, body });
    for (const c of res.headers.getSetCookie()) this.storeCookie(c);
    const text = await res.text();
    if (!res.ok) throw new Error(`MediaWiki API HTTP ${res.status}: ${text.slice(0, 500)}`);
    let json: Json;
    try {
      json = JSON.parse(text);
    } catch {
      throw new Error(`MediaWiki API returned non-JSON: ${text.slice(0, 500)}`);
    }
    if (json.error) throw new DevWikiApiError(json.error.code, json.error.info, json);
    return json;
  }

  private storeCookie(setCookie: string): void {
    const [pair = '', ...attrs] = setCookie.split(';');
    const eq = pair.indexOf('=');
    if (eq <= 0) return;
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    // MediaWiki clears cookies with value "deleted" and an expiry in the past.
    const expired = attrs.some((a) => {
      const [k, v] = a.split('=');
      return k?.trim().toLowerCase() === 'expires' && v !== undefined && Date.parse(v) < Date.now();
    });
    if (expired || value === 'deleted') this.cookies.delete(name);
    else this.cookies.set(name, value);
  }
}

function toStored(pageId: number, rev: ApiRevision): StoredRevision {
  return {
    pageId,
    revId: rev.revid,
    parentId: rev.parentid,
    sha1Hex: rev.sha1 ?? '',
    size: rev.size,
    text: rev.slots?.main?.content ?? '',
  };
}
