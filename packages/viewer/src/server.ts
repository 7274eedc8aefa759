import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname } from 'node:path';
import { ViewerError, httpStatusOf } from './errors';
import { ViewerApi, type ViewerApiOptions } from './api';
import { loadFrontEnd } from './frontEnd';
import { PAGE_HTML } from './page';
import { MAX_UPLOAD_BYTES, type InputFile } from './data';

/** Options of {@link startViewer}. */
export interface ViewerOptions extends ViewerApiOptions {
  /** Interface to bind. @default '127.0.0.1' (loopback only) */
  host?: string;
  /** Port; 0 picks a free one. @default 0 */
  port?: number;
  /** Folder holding the built `app.js`. @default the package's dist/public (or a fresh bundle when run from source) */
  publicDir?: string;
}

/** A running viewer. */
export interface RunningViewer {
  /** e.g. `http://127.0.0.1:41234/` */
  url: string;
  /** The API object behind the routes (for embedding and tests). */
  api: ViewerApi;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.json': 'application/json; charset=utf-8', '.svg': 'image/svg+xml', '.md': 'text/markdown; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8', '.csv': 'text/csv; charset=utf-8', '.png': 'image/png', '.html': 'text/plain; charset=utf-8',
};

function send(res: ServerResponse, status: number, body: string | Uint8Array, type: string): void {
  res.writeHead(status, {
    'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff',
    // No network at run time: the page may only talk to this server.
    'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'",
  });
  res.end(body);
}

function json(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, JSON.stringify(value), 'application/json; charset=utf-8');
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        chunks.length = 0; // keep reading (and dropping) the rest so that the 413 answer reaches the client
        reject(new ViewerError('TOO_LARGE', `request body larger than ${limit} bytes`));
      } else chunks.push(c);
    });
    req.on('end', () => { if (size <= limit) resolveBody(Buffer.concat(chunks)); });
    req.on('error', reject);
  });
}

/** Decodes the upload body `{ files: [{ name, base64 }] }`. */
export function decodeUpload(body: Buffer): InputFile[] {
  let v: unknown;
  try {
    v = JSON.parse(body.toString('utf8'));
  } catch {
    throw new ViewerError('BAD_REQUEST', 'upload body is not JSON ({ "files": [{ "name", "base64" }] })');
  }
  const files = (v as { files?: unknown })?.files;
  if (!Array.isArray(files)) throw new ViewerError('BAD_REQUEST', 'upload body has no "files" array');
  return files.map((f, i) => {
    const { name, base64 } = (f ?? {}) as { name?: unknown; base64?: unknown };
    if (typeof name !== 'string' || typeof base64 !== 'string') throw new ViewerError('BAD_REQUEST', `upload file ${i} needs string "name" and "base64"`);
    return { name, bytes: new Uint8Array(Buffer.from(base64, 'base64')) };
  });
}

/** Routes one request; every failure becomes `{ error: { code, message } }` with a 4xx/5xx status. */
async function route(api: ViewerApi, script: () => Promise<string>, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://viewer.local');
  const p = url.pathname;
  const key = url.searchParams.get('key') ?? '';
  const method = req.method ?? 'GET';
  if (method === 'POST' && p === '/api/upload') {
    const files = decodeUpload(await readBody(req, Math.ceil((api.opts.maxUploadBytes ?? MAX_UPLOAD_BYTES) * 1.4) + 4096)); // base64 + JSON
    return json(res, 200, { samples: api.upload(files) });
  }
  if (method !== 'GET' && method !== 'HEAD') throw new ViewerError('BAD_REQUEST', `method ${method} not allowed on ${p}`);
  switch (p) {
    case '/':
    case '/index.html':
      return send(res, 200, PAGE_HTML, 'text/html; charset=utf-8');
    case '/app.js':
      return send(res, 200, await script(), 'text/javascript; charset=utf-8');
    case '/api/info':
      return json(res, 200, api.info());
    case '/api/samples':
      return json(res, 200, api.samples());
    case '/api/sample':
      return json(res, 200, api.view(key));
    case '/api/tokens':
      return json(res, 200, await api.tokens(key));
    case '/api/recognize':
      return json(res, 200, await api.recognize(key));
    case '/api/usage':
      return json(res, 200, await api.usage());
    case '/api/open':
      return json(res, 200, { samples: api.open(url.searchParams.get('path') ?? '') });
    default:
      if (p.startsWith('/run/')) {
        let rel: string;
        try {
          rel = decodeURIComponent(p.slice('/run/'.length));
        } catch {
          throw new ViewerError('BAD_REQUEST', `malformed percent-encoding in ${JSON.stringify(p)}`);
        }
        const f = api.runFile(rel);
        return send(res, 200, f.bytes, TYPES[extname(f.path).toLowerCase()] ?? 'application/octet-stream');
      }
      throw new ViewerError('NOT_FOUND', `no route ${p}`);
  }
}

/**
 * Starts the viewer: a small HTTP server (Node's http module) on loopback serving the page, its bundled script and a
 * JSON API over @llmar/skeleton-datasets and an injected recognizer. Resolves once listening.
 */
export async function startViewer(opts: ViewerOptions = {}): Promise<RunningViewer> {
  const api = new ViewerApi(opts);
  let cached: Promise<string> | undefined;
  const script = () => (cached ??= loadFrontEnd(opts.publicDir).catch((e) => { cached = undefined; throw e; }));
  const server = createServer((req, res) => {
    route(api, script, req, res).catch((e: unknown) => {
      const status = httpStatusOf(e);
      const code = typeof (e as { code?: unknown })?.code === 'string' ? (e as { code: string }).code : 'INTERNAL';
      if (!res.headersSent) json(res, status, { error: { code, message: e instanceof Error ? e.message : String(e) } });
      else res.end();
    });
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port ?? 0, host, () => { server.off('error', fail); ok(); });
  });
  const addr = server.address() as AddressInfo;
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${shownHost}:${addr.port}/`,
    api,
    close: () => new Promise<void>((ok, fail) => {
      server.closeAllConnections();
      server.close((e) => (e ? fail(e) : ok()));
    }),
  };
}
