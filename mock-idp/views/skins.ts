// The words of the mock's pages in each skin: `guide` reproduces the 2020 CQRS guide, `entra` today's
// Microsoft sign-in wording.
import type { Skin } from '../config.ts';

export interface SkinText {
  signInHeading: string;
  userIdLabel: string;
  passwordLabel: string;
  signInButton: string;
  privateComputer: string;
  unlockLink: string;
  invalidCredentials: string;
  lockedHeading: string;
  lockedBody: string;
  disabledHeading: string;
  disabledBody: string;
  expiredHeading: string;
  expiredBody: string;
  mfaHeading: string;
  mfaBody: string;
  mfaInvalid: string;
}

const guide: SkinText = {
  signInHeading: 'Sign in with your NHSmail account',
  userIdLabel: 'User ID',
  passwordLabel: 'Password',
  signInButton: 'Sign in',
  privateComputer: 'This is a private computer',
  unlockLink: 'Unlock Account or Forgotten Password? Click here.',
  invalidCredentials: 'Incorrect user ID or password. Type the correct user ID and password, and try again.',
  lockedHeading: 'Your NHSmail account is locked',
  lockedBody: 'Your account has been locked. Unlock your account or reset your password to continue.',
  disabledHeading: 'Your NHSmail account has been disabled',
  disabledBody: 'Your account has been disabled. Contact your local NHSmail administrator.',
  expiredHeading: 'Change your password',
  expiredBody: 'Your password has expired. Choose a new password to continue signing in.',
  mfaHeading: 'Enter your verification code',
  mfaBody: 'Enter the 6-digit code from your authenticator app.',
  mfaInvalid: 'The code you entered is not correct. Enter the 6-digit code and try again.',
};

const entra: SkinText = {
  signInHeading: 'Sign in',
  userIdLabel: 'Email, phone, or Skype',
  passwordLabel: 'Password',
  signInButton: 'Sign in',
  privateComputer: 'Stay signed in',
  unlockLink: 'Forgot my password',
  invalidCredentials:
    "Your account or password is incorrect. If you don't remember your password, reset it now.",
  lockedHeading: 'Your account is locked',
  lockedBody:
    'Your account has been temporarily locked to prevent unauthorized use. Try again later, and if you still have trouble, contact your admin.',
  disabledHeading: 'Your account has been locked',
  disabledBody: 'Your account has been disabled. Contact your administrator to unlock it, then try again.',
  expiredHeading: 'Update your password',
  expiredBody:
    'You need to update your password because this is the first time you are signing in, or because your password has expired.',
  mfaHeading: 'Enter code',
  mfaBody: 'Enter the code displayed in the authenticator app on your mobile device.',
  mfaInvalid: "You didn't enter the expected verification code. Please try again.",
};

export const skins: Readonly<Record<Skin, SkinText>> = { guide, entra };
