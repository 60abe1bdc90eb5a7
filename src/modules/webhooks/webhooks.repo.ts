/** Queries of webhook endpoints and deliveries. */
import type { Prisma } from '../../platform/db/prisma.js';
import type { Tx } from '../../platform/db/db.js';

export interface EndpointRow {
  readonly id: string;
  readonly tenantId: string;
  readonly url: string;
  readonly events: string[];
  readonly secretSealed: string;
  readonly active: boolean;
  readonly disabledReason: string | null;
  readonly consecutiveFailures: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface DeliveryRow {
  readonly id: string;
  readonly tenantId: string;
  readonly endpointId: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly payload: Prisma.JsonValue;
  readonly status: string;
  readonly attempts: number;
  readonly lastStatusCode: number | null;
  readonly lastError: string | null;
  readonly createdAt: Date;
  readonly deliveredAt: Date | null;
}

const live = (tenantId: string) => ({ tenantId, deletedAt: null });

export async function insertEndpoint(
  tx: Tx,
  row: Pick<EndpointRow, 'id' | 'tenantId' | 'url' | 'events' | 'secretSealed'> & { createdBy: string },
): Promise<EndpointRow> {
  return tx.webhookEndpoint.create({ data: row });
}

export async function listEndpoints(tx: Tx, tenantId: string): Promise<EndpointRow[]> {
  return tx.webhookEndpoint.findMany({ where: live(tenantId), orderBy: { createdAt: 'asc' } });
}

export async function findEndpoint(tx: Tx, tenantId: string, id: string): Promise<EndpointRow | null> {
  return tx.webhookEndpoint.findFirst({ where: { ...live(tenantId), id } });
}

export async function updateEndpoint(
  tx: Tx,
  tenantId: string,
  id: string,
  data: Prisma.WebhookEndpointUpdateManyMutationInput,
): Promise<EndpointRow> {
  await tx.webhookEndpoint.updateMany({ where: { ...live(tenantId), id }, data });
  return tx.webhookEndpoint.findFirstOrThrow({ where: { tenantId, id } });
}

/** Active endpoints subscribed to an event type. */
export async function subscribers(tx: Tx, tenantId: string, eventType: string): Promise<EndpointRow[]> {
  return tx.webhookEndpoint.findMany({
    where: { ...live(tenantId), active: true, events: { has: eventType } },
  });
}

export async function insertDeliveries(
  tx: Tx,
  rows: {
    tenantId: string;
    endpointId: string;
    eventId: string;
    eventType: string;
    payload: Prisma.InputJsonValue;
  }[],
): Promise<string[]> {
  const created = await tx.webhookDelivery.createManyAndReturn({ data: rows, select: { id: true } });
  return created.map((r) => r.id);
}

export async function findDelivery(tx: Tx, tenantId: string, id: string): Promise<DeliveryRow | null> {
  return tx.webhookDelivery.findFirst({ where: { tenantId, id } });
}

export async function listDeliveries(
  tx: Tx,
  tenantId: string,
  endpointId: string,
  limit: number,
): Promise<DeliveryRow[]> {
  return tx.webhookDelivery.findMany({
    where: { tenantId, endpointId },
    orderBy: { createdAt: 'desc' },
    take: limit,
  });
}

export async function updateDelivery(
  tx: Tx,
  tenantId: string,
  id: string,
  data: Prisma.WebhookDeliveryUpdateManyMutationInput,
): Promise<void> {
  await tx.webhookDelivery.updateMany({ where: { tenantId, id }, data });
}

export async function listPending(
  tx: Tx,
  tenantId: string,
  before: Date,
  limit: number,
): Promise<{ id: string }[]> {
  return tx.webhookDelivery.findMany({
    where: { tenantId, status: 'pending', createdAt: { lt: before } },
    select: { id: true },
    take: limit,
  });
}

/** Counts one more failed delivery atomically (concurrent failures must not overwrite each other). */
export async function incrementFailures(tx: Tx, tenantId: string, id: string): Promise<number> {
  const rows = await tx.$queryRaw<{ consecutive_failures: number }[]>`
    UPDATE webhook_endpoints SET consecutive_failures = consecutive_failures + 1, updated_at = now()
     WHERE tenant_id = ${tenantId}::uuid AND id = ${id}::uuid
     RETURNING consecutive_failures`;
  return rows[0]?.consecutive_failures ?? 0;
}
