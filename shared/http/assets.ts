// Serves the NHS.UK frontend's compiled CSS, JavaScript and images, and the shared stylesheet.
import path from 'node:path';
import { createRequire } from 'node:module';
import mount from 'koa-mount';
import serve from 'koa-static';
import compose from 'koa-compose';
import type { Middleware } from 'koa';

const require = createRequire(import.meta.url);
const nhsukRoot = path.join(path.dirname(require.resolve('nhsuk-frontend/package.json')), 'dist', 'nhsuk');
const sharedStatic = path.join(import.meta.dirname, '..', 'static');

export function staticAssets(): Middleware {
  return compose([
    mount('/assets/nhsuk', serve(nhsukRoot, { maxage: 24 * 60 * 60 * 1000 })),
    mount('/assets/shared', serve(sharedStatic, { maxage: 60 * 60 * 1000 })),
  ]);
}
