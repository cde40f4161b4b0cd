// A conformance run against one deployment, in the spirit of the OpenID Foundation's Basic, Config,
// RP-initiated and back-channel logout test plans, black-box over HTTP: the groups in order, each
// check recorded as it finishes. Without credentials, the checks that need a signed-in user skip.
import { checkAuthorization, authorizationChecks } from './authorization.ts';
import { Browser } from './browser.ts';
import type { CheckRecorder } from './checks.ts';
import { checkClientAuthentication, clientAuthenticationChecks } from './clientAuthentication.ts';
import { checkCodeFlow, codeFlowChecks } from './codeFlow.ts';
import { checkDiscovery } from './discovery.ts';
import { checkHeaders, headerChecks } from './headers.ts';
import { checkSession, sessionChecks } from './session.ts';
import type { ConformanceOptions } from './target.ts';

export async function runConformance(recorder: CheckRecorder, options: ConformanceOptions): Promise<void> {
  const target = await checkDiscovery(recorder, options);
  if (!target) {
    const rest = [...authorizationChecks, ...clientAuthenticationChecks, ...codeFlowChecks, ...sessionChecks];
    for (const name of [...rest, ...headerChecks]) recorder.skip(name, 'no discovery document');
    return;
  }
  await checkAuthorization(recorder, target);
  await checkClientAuthentication(recorder, target);
  if (options.credentials) {
    const browser = new Browser();
    const signedIn = await checkCodeFlow(recorder, target, browser);
    if (signedIn) await checkSession(recorder, target, browser);
    else for (const name of sessionChecks) recorder.skip(name, 'no signed-in session');
  } else {
    const reason = 'needs --user and --password (a user of a mock upstream)';
    for (const name of [...codeFlowChecks, ...sessionChecks]) recorder.skip(name, reason);
  }
  await checkHeaders(recorder, target);
}
