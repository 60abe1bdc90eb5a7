/** zod schemas of the identity routes: they validate requests and document responses in /docs. */
import { z } from 'zod';
import { IsoDateTime } from '../http-schemas.js';

// Length rules live in the password policy, which explains them; here only a sanity bound.
export const Password = z
  .string()
  .min(1)
  .max(1024)
  .describe('12-128 characters; any characters, spaces included');
export const Email = z.email().max(254);

export const SessionToken = z.object({
  token: z.string().describe('Bearer token; shown only here'),
  expiresAt: IsoDateTime.describe('Absolute end of the session (it also ends after inactivity)'),
});

export const SignupBody = z.object({
  tenantName: z.string().trim().min(1).max(200),
  email: Email,
  password: Password,
  name: z.string().trim().min(1).max(200),
});
export const SignupResponse = SessionToken.extend({
  tenant: z.object({ id: z.uuid(), name: z.string() }),
  user: z.object({ id: z.uuid(), email: z.string() }),
});

export const LoginBody = z.object({ email: Email, password: Password, tenantId: z.uuid().optional() });
export const LoginResponse = z.union([
  SessionToken,
  z.object({ mfaRequired: z.literal(true), challengeToken: z.string() }),
]);

export const MfaVerifyBody = z
  .object({
    challengeToken: z.string().min(1).max(128),
    code: z
      .string()
      .regex(/^\d{6}$/)
      .optional(),
    recoveryCode: z.string().min(8).max(32).optional(),
  })
  .refine((b) => Boolean(b.code) !== Boolean(b.recoveryCode), {
    message: 'give either code or recoveryCode',
  });

export const StepUpBody = z
  .object({
    password: Password.optional(),
    code: z
      .string()
      .regex(/^\d{6}$/)
      .optional(),
  })
  .refine((b) => Boolean(b.password) !== Boolean(b.code), { message: 'give either password or code' });

export const SwitchTenantBody = z.object({ tenantId: z.uuid() });
export const PasswordResetBody = z.object({ email: Email });
export const PasswordResetAccepted = z.object({ status: z.literal('accepted'), detail: z.string() });
export const PasswordResetConfirmBody = z.object({
  token: z.string().min(1).max(128),
  newPassword: Password,
});
export const AcceptInvitationBody = z.object({
  token: z.string().min(1).max(128),
  password: Password,
  name: z.string().trim().min(1).max(200).optional().describe('Required when you have no Doklad account yet'),
});

export const VerifyEmailBody = z.object({
  token: z.string().min(1).max(128).describe('The token from the verification link'),
});
export const ChangeEmailBody = z.object({
  newEmail: Email,
  password: Password.describe('Your current password'),
});
export const EmailChangeAccepted = z.object({ status: z.literal('accepted'), detail: z.string() });

export const ChangePasswordBody = z.object({ currentPassword: Password, newPassword: Password });
export const TotpEnrolmentBody = z.object({ password: Password.describe('Your current password') });
export const TotpEnrolment = z.object({
  secret: z.string().describe('Base32 secret; shown only now'),
  otpauthUrl: z.string(),
  qrCode: z.string().describe('PNG data URL of the otpauth URL'),
});
export const TotpConfirmBody = z.object({ code: z.string().regex(/^\d{6}$/) });
export const RecoveryCodes = z.object({
  recoveryCodes: z.array(z.string()).describe('Each works once; shown only now'),
});
export const TotpDisableBody = z.object({ password: Password, code: z.string().regex(/^\d{6}$/) });

export const Role = z.enum(['owner', 'admin', 'accountant', 'viewer']);
export const MeResponse = z.object({
  user: z.object({
    id: z.uuid(),
    email: z.string(),
    name: z.string(),
    emailVerified: z.boolean().describe('True once a link mailed to this address was followed'),
  }),
  tenant: z.object({ id: z.uuid(), name: z.string(), role: Role, requireMfa: z.boolean() }),
  tenants: z.array(z.object({ id: z.uuid(), name: z.string(), role: Role })),
  permissions: z.array(z.string()),
  mfaEnabled: z.boolean(),
  mfaEnrolmentRequired: z.boolean(),
  session: z.object({ id: z.uuid(), expiresAt: IsoDateTime }),
});
export const SessionView = z.object({
  id: z.uuid(),
  tenantId: z.uuid(),
  createdAt: IsoDateTime,
  lastSeenAt: IsoDateTime,
  expiresAt: IsoDateTime,
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  current: z.boolean(),
});
