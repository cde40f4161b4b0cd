// Every screen the illustrated guide shows, and how the browser reaches it on a fresh seeded system.
// The guide and the screenshot baselines (test/browser/baselines.test.ts) capture this same list.
import type { Page } from 'puppeteer-core';
import { seededPassword } from '../../seeds/personas.ts';
import type { TestSystem } from '../../test/helpers/system.ts';
import { armScenario, arrivals, openNhsmailSignIn, signIn, submitForm } from './journeys.ts';

/** `plain`: the pages as users see them; `trainer`: both services' trainer modes on. */
export type SystemKind = 'plain' | 'trainer';

export interface Screen {
  /** File name without `.png`. */
  name: string;
  system: SystemKind;
  /** What the progress line says while it is captured. */
  label: string;
  reach(page: Page, system: TestSystem): Promise<void>;
}

const jane = 'jane.smith@nhs.net';

/** Jane signs in with the right password after a tester armed `scenario` for her next sign-in. */
const janeWith =
  (scenario: string, arrival: string) =>
  async (page: Page, system: TestSystem): Promise<void> => {
    await armScenario(system, scenario, jane);
    await signIn(page, system, jane, seededPassword, arrival);
  };

const persona =
  (userId: string, arrival: string, password = seededPassword) =>
  (page: Page, system: TestSystem) =>
    signIn(page, system, userId, password, arrival);

export const screens: readonly Screen[] = [
  {
    name: 'step-1-sign-in-button',
    system: 'plain',
    label: 'Step 1: the CQRS "Sign In" button',
    reach: async (page, system) => {
      await page.goto(`${system.appUrl}/`);
    },
  },
  {
    name: 'step-2-nhsmail-sign-in',
    system: 'plain',
    label: 'Step 2: the NHSmail sign-in page',
    reach: openNhsmailSignIn,
  },
  {
    name: 'step-3-message-centre',
    system: 'plain',
    label: 'Step 3: the CQRS message centre',
    reach: persona(jane, arrivals.messageCentre),
  },
  {
    name: 'step-4-incorrect-user-id-or-password',
    system: 'plain',
    label: 'Step 4: incorrect user ID or password',
    reach: persona('nhs.net', arrivals.nhsmailError, 'not-the-password'),
  },
  {
    name: 'step-5-authentication-error',
    system: 'plain',
    label: 'Step 5: no CQRS account, Authentication Error',
    reach: persona('no.cqrs@nhs.net', arrivals.brokerRefusal),
  },
  {
    name: 'failure-wrong-password',
    system: 'plain',
    label: 'Failure: wrong password',
    reach: persona(jane, arrivals.nhsmailError, 'Wrong-password-1'),
  },
  {
    name: 'failure-locked',
    system: 'plain',
    label: 'Failure: NHSmail account locked',
    reach: persona('locked.user@nhs.net', '[data-testid=unlock-link]'),
  },
  {
    name: 'failure-disabled',
    system: 'plain',
    label: 'Failure: NHSmail account disabled',
    reach: persona('disabled.user@nhs.net', arrivals.nhsmailPage),
  },
  {
    name: 'failure-password-expired',
    system: 'plain',
    label: 'Failure: NHSmail password expired',
    reach: persona('expired.password@nhs.net', arrivals.changePassword),
  },
  {
    name: 'failure-one-time-code',
    system: 'plain',
    label: 'Failure: wrong one-time code',
    reach: async (page, system) => {
      await signIn(page, system, 'mfa.user@nhs.net', seededPassword, arrivals.oneTimeCode);
      await submitForm(page, { '#code': '000000' }, arrivals.nhsmailError);
    },
  },
  {
    name: 'failure-cancelled',
    system: 'plain',
    label: 'Failure: consent declined or cancelled',
    reach: janeWith('consent_declined', arrivals.brokerRefusal),
  },
  {
    name: 'failure-not-assigned',
    system: 'plain',
    label: 'Failure: not assigned to CQRS',
    reach: janeWith('not_assigned', arrivals.brokerRefusal),
  },
  {
    name: 'failure-conditional-access',
    system: 'plain',
    label: 'Failure: blocked by conditional access',
    reach: janeWith('conditional_access', arrivals.brokerRefusal),
  },
  {
    name: 'failure-nhsmail-unavailable',
    system: 'plain',
    label: 'Failure: NHSmail unavailable',
    reach: janeWith('server_error', arrivals.brokerRefusal),
  },
  {
    name: 'failure-timeout',
    system: 'plain',
    label: 'Failure: NHSmail too slow (timeout)',
    reach: janeWith('slow', arrivals.brokerRefusal),
  },
  {
    name: 'failure-suspended-account',
    system: 'plain',
    label: 'Failure: suspended CQRS account',
    reach: persona('suspended.user@nhs.net', arrivals.brokerRefusal),
  },
  {
    name: 'trainer-nhsmail-sign-in',
    system: 'trainer',
    label: 'Trainer mode: the NHSmail test accounts panel',
    reach: openNhsmailSignIn,
  },
  {
    name: 'trainer-why-this-happened',
    system: 'trainer',
    label: 'Trainer mode: "Why this happened" on a refusal',
    reach: persona('no.cqrs@nhs.net', arrivals.brokerRefusal),
  },
];
