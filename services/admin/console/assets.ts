/**
 * Static assets of the console, read once at start-up: our CSS and JS (assets/) and uPlot's
 * minified build straight from node_modules (installed by npm ci; nothing fetched at run time, no
 * CDN). Served with a fixed content type, nosniff and a short cache.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Hono } from 'hono';

const require = createRequire(import.meta.url);
const here = (f: string) => new URL(`./assets/${f}`, import.meta.url);

const FILES: Record<string, { type: string; path: URL | string }> = {
  'console.css': { type: 'text/css; charset=utf-8', path: here('console.css') },
  'console.js': { type: 'text/javascript; charset=utf-8', path: here('console.js') },
  'uPlot.min.css': { type: 'text/css; charset=utf-8', path: require.resolve('uplot/dist/uPlot.min.css') },
  'uPlot.iife.min.js': {
    type: 'text/javascript; charset=utf-8',
    path: require.resolve('uplot/dist/uPlot.iife.min.js'),
  },
};

export function assetRoutes(): Hono {
  const loaded = new Map(
    Object.entries(FILES).map(([name, f]) => [name, { type: f.type, body: readFileSync(f.path) }]),
  );
  const app = new Hono();
  app.get('/:name', (c) => {
    const f = loaded.get(c.req.param('name'));
    if (!f) return c.text('not found', 404);
    return c.body(new Uint8Array(f.body), 200, { 'content-type': f.type, 'cache-control': 'public, max-age=300' });
  });
  return app;
}
