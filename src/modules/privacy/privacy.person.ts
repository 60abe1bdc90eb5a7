/**
 * A person's rights over their own data (GDPR art. 15 and 17): a firm's administrators can
 * export what the firm holds about one member, and a member can have their personal data erased.
 *
 * Erasure replaces the account's name and email by a pseudonym in every firm at once (the
 * account row is shared), ends every session (and forgets the addresses and browsers they came
 * from), removes the second factor and recovery codes, revokes the person's integration tokens,
 * takes the address off invitations, and leaves every firm. The account id stays: it is the
 * pseudonymous id that audit events, documents and extraction versions already refer to, so no
 * audit row is rewritten and every chain still verifies. Audit rows carry no names or emails by
 * design (payloads hold ids); the IP address and user agent they record are kept, deliberately:
 * they are the security log of the firm (ASVS 16, GDPR art. 6(1)(c)/(f)), cannot be changed
 * without breaking the tamper evidence the firm relies on, and without the account's name and
 * email they no longer point to a known person. A sole owner must first hand over ownership or
 * close the firm, so no firm is left without anyone able to run it.
 */
import type { Clock } from '../../core/clock.js';
import { ConflictError, NotFoundError, ValidationFailedError } from '../../core/errors.js';
import type { RequestContext } from '../../core/request-context.js';
import type { Db, Tx } from '../../platform/db/db.js';
import type { AuditService } from '../audit/audit.service.js';
import type { DocumentsService } from '../documents/documents.service.js';
import * as repo from './person.repo.js';

export const ERASED_NAME = 'Erased person';

/** The stand-in address of an erased account: unique (from the id), lower-case, never deliverable. */
export function pseudonymEmail(userId: string): string {
  return `erased-${userId.toLowerCase()}@erased.invalid`;
}

/**
 * Inside the purge transaction of a closed firm: erases the accounts of members who belong to no
 * other firm (nobody is left to whom they matter, and they cannot sign in anywhere). Members of
 * other firms keep their account. Returns how many accounts were erased.
 */
export async function eraseSoleMembers(tx: Tx, tenantId: string, now: Date): Promise<number> {
  let erased = 0;
  for (const userId of await repo.listMemberIds(tx, tenantId)) {
    await repo.actAsUser(tx, userId);
    const memberships = await repo.listOwnMemberships(tx, userId);
    if (memberships.every((m) => m.tenantId === tenantId)) {
      await repo.scrubAccount(tx, userId, { name: ERASED_NAME, email: pseudonymEmail(userId) }, now);
      erased += 1;
    }
  }
  await repo.actAsUser(tx, null);
  return erased;
}

export type PersonalDataExport = NonNullable<Awaited<ReturnType<typeof repo.readPersonalData>>> & {
  /** Counted by the documents module, which owns the table. */
  readonly documentsUploaded: number;
};

export interface PersonService {
  /** What the context's firm holds about one of its members; NotFound for anyone else. */
  exportPersonalData(ctx: RequestContext, userId: string): Promise<PersonalDataExport>;
  /** Erases the signed-in person's personal data; `confirmEmail` must repeat their address. */
  erasePerson(
    ctx: RequestContext,
    confirmEmail: string,
  ): Promise<{ firmsLeft: number; sessionsRevoked: number }>;
}

export function createPersonService(deps: {
  db: Db;
  audit: AuditService;
  documents: Pick<DocumentsService, 'countUploadedBy'>;
  clock: Clock;
}): PersonService {
  const { db } = deps;
  return {
    async exportPersonalData(ctx, userId) {
      const data = await db.withTenant(ctx, async (tx) => {
        const personal = await repo.readPersonalData(tx, ctx.tenantId, userId);
        const found = personal && {
          ...personal,
          documentsUploaded: await deps.documents.countUploadedBy(tx, ctx, userId),
        };
        if (found) {
          await deps.audit.record(tx, ctx, {
            action: 'personal_data.exported',
            target: { type: 'user', id: userId },
            payload: { auditEvents: found.auditEvents.length, truncated: found.auditEventsTruncated },
          });
        }
        return found;
      });
      if (!data) throw new NotFoundError('The member does not exist.');
      return data;
    },

    async erasePerson(ctx, confirmEmail) {
      const userId = ctx.actor.id;
      const own = { userId };
      const { user, memberships } = await db.withScope(own, async (tx) => ({
        user: await repo.findUser(tx, userId),
        memberships: await repo.listOwnMemberships(tx, userId),
      }));
      if (!user) throw new NotFoundError('The account does not exist.');
      if (confirmEmail.trim().toLowerCase() !== user.email) {
        throw new ValidationFailedError('Type your own email address to confirm the erasure.', [
          { field: 'body.confirmEmail', message: 'must be your email address' },
        ]);
      }
      for (const membership of memberships.filter((m) => m.role === 'owner')) {
        const owners = await db.withTenant({ ...ctx, tenantId: membership.tenantId }, (tx) =>
          repo.countOwners(tx, membership.tenantId),
        );
        if (owners <= 1) {
          throw new ConflictError(
            'You are the only owner of a firm: make someone else an owner, or close the firm, first.',
            'last_owner',
          );
        }
      }
      const pseudonym = { name: ERASED_NAME, email: pseudonymEmail(userId) };
      const now = deps.clock();
      // The account first: from this commit on, nothing links the id to the person, and every
      // session is gone (the principal caches hear of it from the sessions and users triggers).
      const { sessionsRevoked } = await db.withScope(own, (tx) =>
        repo.scrubAccount(tx, userId, pseudonym, now),
      );
      for (const { tenantId } of memberships) {
        const firmCtx: RequestContext = { ...ctx, tenantId };
        await db.withTenant(firmCtx, async (tx) => {
          const scrubbed = await repo.scrubMembership(tx, tenantId, userId, user.email, pseudonym.email, now);
          await deps.audit.record(tx, firmCtx, {
            action: 'person.erased',
            target: { type: 'user', id: userId },
            payload: { ...scrubbed, sessionsRevoked },
          });
        });
      }
      return { firmsLeft: memberships.length, sessionsRevoked };
    },
  };
}
