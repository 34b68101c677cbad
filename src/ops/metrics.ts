import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export interface Metrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpDuration: Histogram<'method' | 'route'>;
}

// One registry per app instance (tests build many apps in one process).
export function createMetrics(options: { defaultMetrics: boolean }): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpRequests: new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests by route and status',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by route',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
  };
}

/** Running totals a cache keeps itself (src/health/rendered-items.ts stats()). */
export interface CacheStats {
  bytes: number;
  hits: number;
  misses: number;
  evictions: number;
}

/**
 * health_item_cache_*: the rendered /health/observations items. Read from the cache's own counters
 * when /metrics is scraped, so a lookup costs the request path nothing.
 */
export function registerItemCacheMetrics(metrics: Metrics, cache: { stats(): CacheStats }): void {
  const registers = [metrics.registry];
  new Gauge({
    name: 'health_item_cache_bytes',
    help: 'Bytes of rendered /health/observations items held (HEALTH_ITEM_CACHE_MB)',
    registers,
    collect() {
      this.set(cache.stats().bytes);
    },
  });
  const reported = { hits: 0, misses: 0, evictions: 0 };
  new Counter({
    name: 'health_item_cache_lookups_total',
    help: 'Items of /health/observations pages found rendered (hit) or rendered anew (miss)',
    labelNames: ['result'],
    registers,
    collect() {
      const { hits, misses } = cache.stats();
      this.inc({ result: 'hit' }, hits - reported.hits);
      this.inc({ result: 'miss' }, misses - reported.misses);
      Object.assign(reported, { hits, misses });
    },
  });
  new Counter({
    name: 'health_item_cache_evictions_total',
    help: 'Rendered /health/observations items dropped to stay within HEALTH_ITEM_CACHE_MB',
    registers,
    collect() {
      const { evictions } = cache.stats();
      this.inc(evictions - reported.evictions);
      reported.evictions = evictions;
    },
  });
}
