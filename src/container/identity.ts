/** Who may do what: the tenants, auth, members, companies and tokens modules. */
import { createAccountService } from '../modules/auth/account.service.js';
import { createEmailVerificationService } from '../modules/auth/email-verification.service.js';
import { createLockoutNotifier } from '../modules/auth/lockout-notice.service.js';
import { createLoginThrottle } from '../modules/auth/login-throttle.js';
import { createLoginService } from '../modules/auth/login.service.js';
import { createMfaChallenges } from '../modules/auth/mfa-challenges.js';
import { createMfaService } from '../modules/auth/mfa.service.js';
import { createPasswordResetService } from '../modules/auth/password-reset.service.js';
import { createPlatformAdminsService } from '../modules/auth/platform-admins.service.js';
import { createPrincipalService } from '../modules/auth/principal.service.js';
import { createSessionManager } from '../modules/auth/sessions.service.js';
import { createCompaniesService } from '../modules/companies/companies.service.js';
import { createInvitationsService } from '../modules/members/invitations.service.js';
import { createMembersService } from '../modules/members/members.service.js';
import { createTenantsService } from '../modules/tenants/tenants.service.js';
import { createAutomationService } from '../modules/tenants/tenants.automation.js';
import { createTokensService } from '../modules/tokens/tokens.service.js';
import { createTokenUseRecorder } from '../modules/tokens/tokens.use-recorder.js';
import type { Platform } from './platform.js';

export type Identity = ReturnType<typeof buildIdentity>;

export function buildIdentity(platform: Platform) {
  const {
    config,
    db,
    audit,
    redis,
    clock,
    logger,
    hasher,
    mailer,
    backgroundTasks,
    mailLinks: links,
  } = platform;
  const tenants = createTenantsService({
    db,
    audit,
    keyProvider: platform.keyProvider,
    ...config.tenants,
    clock,
  });
  const sessions = createSessionManager({ db, clock, settings: config.sessions });
  const throttle = createLoginThrottle(
    redis,
    { keyPrefix: config.redis.keyPrefix, ...config.login },
    createLockoutNotifier({ db, mailer, backgroundTasks, links }),
  );
  const verifyPassword = (hash: string, password: string) => hasher.verify(hash, password);
  const mfa = createMfaService({
    db,
    audit,
    secretBox: platform.secretBox,
    clock,
    verifyPassword,
    throttle,
    mailer,
    links,
  });
  const members = createMembersService({ db, audit, sessions });
  const { accounts: settings } = config;
  const invitations = createInvitationsService({
    db,
    audit,
    mailer,
    tenants,
    clock,
    links,
    ttlMs: settings.invitationTtlMs,
  });
  const emailVerification = createEmailVerificationService({
    db,
    audit,
    hasher,
    throttle,
    mailer,
    clock,
    links,
    ttlMs: settings.emailVerificationTtlMs,
  });
  const companies = createCompaniesService({ db, audit });
  const tokenUses = createTokenUseRecorder({ db, audit, clock, logger, flushMs: config.tokens.useFlushMs });
  const tokens = createTokensService({ db, audit, members, companies, tenants, uses: tokenUses, clock });
  return {
    tenants,
    /** The firm's automation level (straight-through processing). */
    automation: createAutomationService({ db, audit, clock }),
    accounts: createAccountService({
      db,
      audit,
      tenants,
      members,
      invitations,
      hasher,
      mfa,
      sessions,
      throttle,
      clock,
      signupEnabled: settings.signupEnabled,
      emailVerification,
    }),
    login: createLoginService({
      db,
      audit,
      hasher,
      throttle,
      mfa,
      sessions,
      clock,
      challenges: createMfaChallenges(redis, config.redis.keyPrefix),
    }),
    passwordResets: createPasswordResetService({
      db,
      audit,
      hasher,
      mailer,
      backgroundTasks,
      throttle,
      clock,
      links,
      ttlMs: settings.passwordResetTtlMs,
    }),
    emailVerification,
    platformAdmins: createPlatformAdminsService({ db }),
    mfa,
    members,
    invitations,
    companies,
    tokens,
    /** Integration-token uses, written in batches (flushed when the container closes). */
    tokenUses,
    principals: createPrincipalService({
      db,
      sessions,
      members,
      tenants,
      mfa,
      tokens,
      clock,
      logger,
      cache: { ...config.principalCache, listenUrl: config.database.url },
    }),
  };
}
