/** An integration's row -> its `integration.*` event (pure). */
import type { NewEvent } from './events.types.ts';

export function integrationEvent(
  type: 'integration.connected' | 'integration.needs_reauth' | 'integration.disconnected',
  row: { id: string; user_id: number; vendor: string; status: string },
  reason: string | null,
): NewEvent {
  return {
    type,
    payload: { user_id: row.user_id, vendor: row.vendor, integration_id: row.id, status: row.status, reason },
  };
}
