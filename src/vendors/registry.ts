import type { Config } from '../config.ts';
import type { OutboundHttp } from '../http/outbound.ts';
import type { RateBudgets } from '../sync/rate-budgets.ts';
import { createFitbitAdapter } from './fitbit/adapter.ts';
import { isVendorId, type VendorAdapter, type VendorId } from './types.ts';
import { createWithingsAdapter } from './withings/adapter.ts';

// Every vendor the backend knows, by id. Adding one: a folder under src/vendors/<id>/ with an
// adapter, its id in VENDOR_IDS (types.ts), and a line here; the compiler checks the rest.

export interface VendorRegistryDeps {
  config: Pick<Config, 'fitbit' | 'withings'>;
  http: OutboundHttp;
  now: () => Date;
  /** The vendors' request budgets, in Redis when configured (src/sync/rate-budgets.ts). */
  budgets: RateBudgets;
}

export type VendorRegistry = Readonly<Record<VendorId, VendorAdapter>>;

export function createVendorRegistry(deps: VendorRegistryDeps): VendorRegistry {
  return Object.freeze({
    fitbit: createFitbitAdapter(deps),
    withings: createWithingsAdapter(deps),
  } satisfies Record<VendorId, VendorAdapter>);
}

/** The adapter for an id, or undefined for an id the registry does not know. */
export function findVendor(registry: VendorRegistry, id: string): VendorAdapter | undefined {
  return isVendorId(id) ? registry[id] : undefined;
}
