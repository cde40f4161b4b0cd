// Response headers, judged on what the checks saw: the issuer's HTML pages refuse framing and MIME
// sniffing and send no Referer (their URLs carry codes and state), and token responses are not cached
// (RFC 6749 §5.1).
import { type CheckRecorder, expect, skip } from './checks.ts';
import type { Target } from './target.ts';

export const headerChecks = ['headers.pages', 'headers.token-responses'];

function refusesFraming(headers: Headers): boolean {
  const frameOptions = headers.get('x-frame-options')?.toUpperCase();
  const policy = headers.get('content-security-policy') ?? '';
  return (
    frameOptions === 'DENY' ||
    frameOptions === 'SAMEORIGIN' ||
    /frame-ancestors\s+('none'|'self')/.test(policy)
  );
}

export async function checkHeaders(recorder: CheckRecorder, target: Target): Promise<void> {
  const issuerOrigin = new URL(target.metadata.issuer).origin;
  await recorder.check('headers.pages', () => {
    const pages = target.pages.filter(
      (page) =>
        new URL(page.url).origin === issuerOrigin &&
        (page.headers.get('content-type') ?? '').startsWith('text/html'),
    );
    if (pages.length === 0) skip('no HTML page of the issuer was seen');
    for (const page of pages) {
      const path = new URL(page.url).pathname;
      expect(refusesFraming(page.headers), `${path} may be framed (no X-Frame-Options or frame-ancestors)`);
      expect(
        page.headers.get('x-content-type-options') === 'nosniff',
        `${path} has no X-Content-Type-Options: nosniff`,
      );
      expect(page.headers.get('referrer-policy'), `${path} has no Referrer-Policy`);
    }
    return `${pages.length} page(s): no framing, nosniff, Referrer-Policy`;
  });
  await recorder.check('headers.token-responses', () => {
    if (target.tokenResponses.length === 0) skip('no token endpoint response was seen');
    for (const response of target.tokenResponses) {
      const cacheControl = response.headers.get('cache-control') ?? '';
      expect(
        /no-store/.test(cacheControl),
        `a ${response.status} token response has Cache-Control "${cacheControl}"`,
      );
    }
    return `${target.tokenResponses.length} response(s) with Cache-Control: no-store`;
  });
}
