/** Raw HTTP requests for tests (no URL normalisation, so `..` and encoded segments reach the server as written). */
import { request } from 'node:http';

export function rawGet(base: string, path: string, method = 'GET', body?: string): Promise<{ status: number; type: string; text: string }> {
  const u = new URL(base);
  return new Promise((ok, fail) => {
    const req = request({ host: u.hostname, port: u.port, path, method, headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', fail);
    if (body) req.write(body);
    req.end();
  });
}

export async function getJson<T = any>(base: string, path: string): Promise<{ status: number; body: T }> {
  const r = await rawGet(base, path);
  return { status: r.status, body: JSON.parse(r.text) as T };
}

export async function postJson<T = any>(base: string, path: string, value: unknown): Promise<{ status: number; body: T }> {
  const r = await rawGet(base, path, 'POST', JSON.stringify(value));
  return { status: r.status, body: JSON.parse(r.text) as T };
}
