/**
 * Tells a person that sign-in to their account was locked (login-throttle.ts calls it when a lock
 * begins). The mail goes out after the answer, and only to an existing account: the throttle works
 * on hashed emails and cannot tell, so the lookup happens here, off the request's path.
 */
import type { BackgroundTasks } from '../../platform/background-tasks.js';
import type { Db } from '../../platform/db/db.js';
import type { Mailer } from '../../platform/mailer.js';
import type { MailLinks } from './mail-links.js';
import * as repo from './auth.repo.js';
import type { LockedAccount } from './login-throttle.js';

export function createLockoutNotifier(deps: {
  db: Db;
  mailer: Mailer;
  backgroundTasks: BackgroundTasks;
  links: MailLinks;
}): (locked: LockedAccount) => void {
  async function findOwner(locked: LockedAccount) {
    if ('email' in locked)
      return deps.db.withScope({ loginEmail: locked.email }, (tx) => repo.findUserByEmail(tx, locked.email));
    return deps.db.withScope({ userId: locked.userId }, (tx) => repo.findUserById(tx, locked.userId));
  }

  return (locked) =>
    deps.backgroundTasks.run('lockout-notice', async () => {
      const owner = await findOwner(locked);
      if (!owner) return;
      const secondFactor = 'userId' in locked;
      await deps.mailer.send({
        to: owner.email,
        subject: 'Sign-in to your Doklad account was paused after failed attempts',
        text: secondFactor
          ? 'Someone entered the right password for your Doklad account but then wrong two-factor ' +
            'codes several times, so sign-in with codes is paused for a while.\n\n' +
            'If this was not you, your password is known to someone else: change it now at ' +
            `${deps.links.forgotPassword()} (or POST /v1/auth/password-reset with your email).`
          : 'There were several failed attempts to sign in to your Doklad account, so sign-in from ' +
            'where they came from is paused for a while.\n\n' +
            'If this was not you, nothing is needed; if you are locked out yourself, resetting your ' +
            `password at ${deps.links.forgotPassword()} (or POST /v1/auth/password-reset with your ` +
            'email) lifts the lock at once.',
      });
    });
}
