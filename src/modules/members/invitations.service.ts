/**
 * Invitations: an admin invites an email address with a role; the invitation token is mailed and
 * stored only as a hash; accepting it (see account.service.ts) joins the firm. Only owners invite
 * owners. Audit events reference the invitation, not the invitee's email (personal data).
 */
import type { Clock } from '../../core/clock.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationFailedError } from '../../core/errors.js';
import type { Role } from '../../core/permissions.js';
import { systemContext, type RequestContext } from '../../core/request-context.js';
import { generateToken, hashToken } from '../../platform/crypto/tokens.js';
import type { Db, Tx } from '../../platform/db/db.js';
import type { Mailer } from '../../platform/mailer.js';
import type { MailLinks } from '../auth/mail-links.js';
import type { AuditService } from '../audit/audit.service.js';
import type { TenantsService } from '../tenants/tenants.service.js';
import { normalizeEmail } from '../auth/client-info.js';
import * as repo from './members.repo.js';
import { isOwnerContext } from './members.service.js';
import { invitationView, type InvitationView } from './members.views.js';

export type { InvitationRow } from './members.repo.js';

const INVALID_INVITATION = 'The invitation is invalid, expired or already used.';

export interface InvitationsService {
  createInvitation(ctx: RequestContext, input: { email: string; role: Role }): Promise<InvitationView>;
  listInvitations(ctx: RequestContext): Promise<InvitationView[]>;
  revokeInvitation(ctx: RequestContext, id: string): Promise<void>;
  /** The open invitation a token stands for; throws a 400 when there is none. */
  openInvitation(token: string): Promise<repo.InvitationRow & { tenantName: string }>;
  /** Marks it accepted inside the joining transaction; throws when someone was quicker. */
  markAccepted(tx: Tx, invitationId: string): Promise<void>;
}

export function createInvitationsService(deps: {
  db: Db;
  audit: AuditService;
  mailer: Mailer;
  tenants: TenantsService;
  clock: Clock;
  ttlMs: number;
  links: MailLinks;
}): InvitationsService {
  const { db, audit, clock } = deps;
  return {
    async createInvitation(ctx, input) {
      if (input.role === 'owner' && !isOwnerContext(ctx))
        throw new ForbiddenError('Only an owner can invite an owner.');
      const email = normalizeEmail(input.email);
      const token = generateToken('inv_');
      const tenant = await deps.tenants.getTenant(ctx);
      const invitation = await db.withTenant(ctx, async (tx) => {
        const members = await repo.listMembers(tx, ctx.tenantId);
        if (members.some((m) => m.email === email))
          throw new ConflictError('This person is already a member.', 'already_member');
        const row = await repo.insertInvitation(tx, {
          tenantId: ctx.tenantId,
          email,
          role: input.role,
          invitedBy: ctx.actor.id,
          expiresAt: new Date(clock().getTime() + deps.ttlMs),
          tokenHash: hashToken(token),
        });
        await audit.record(tx, ctx, {
          action: 'invitation.created',
          target: { type: 'invitation', id: row.id },
          payload: { role: input.role },
        });
        return row;
      });
      const tenantName = tenant.name;
      await deps.mailer.send({
        to: email,
        subject: `You are invited to ${tenantName} on Doklad`,
        text:
          `You have been invited to join ${tenantName} on Doklad as ${input.role}.\n\n` +
          `To accept, open this link before ${invitation.expiresAt.toISOString()}:\n` +
          `${deps.links.acceptInvitation(token)}\n\n` +
          'Without the web app: POST /v1/invitations/accept with ' +
          `{"token": "${token}", "password": "…", "name": "…"} (the name only when you have no ` +
          'Doklad account yet; with one, give its password). The answer signs you in.\n\n' +
          'If you did not expect this invitation, ignore this message.',
      });
      return invitationView(invitation);
    },

    listInvitations: async (ctx) =>
      (await db.withTenant(ctx, (tx) => repo.listInvitations(tx, ctx.tenantId))).map(invitationView),

    async revokeInvitation(ctx, id) {
      await db.withTenant(ctx, async (tx) => {
        if (!(await repo.findInvitation(tx, ctx.tenantId, id)))
          throw new NotFoundError('The invitation does not exist.');
        if (await repo.revokeInvitation(tx, ctx.tenantId, id, clock())) {
          await audit.record(tx, ctx, { action: 'invitation.revoked', target: { type: 'invitation', id } });
        }
      });
    },

    async openInvitation(token) {
      const tokenHash = hashToken(token);
      const found = await db.withScope({ inviteTokenHash: tokenHash }, (tx) =>
        repo.findInvitationByHash(tx, tokenHash),
      );
      if (!found || found.acceptedAt || found.revokedAt || found.expiresAt <= clock()) {
        throw new ValidationFailedError(INVALID_INVITATION, [
          { field: 'body.token', message: 'is invalid or expired' },
        ]);
      }
      const tenant = await deps.tenants.getTenant(
        systemContext(found.tenantId, { kind: 'system', id: 'invitations' }),
      );
      return { ...found, tenantName: tenant.name };
    },

    async markAccepted(tx, invitationId) {
      if (!(await repo.acceptInvitation(tx, invitationId, clock())))
        throw new ValidationFailedError(INVALID_INVITATION);
    },
  };
}
