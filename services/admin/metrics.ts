/** hookline_admin_* metrics. */
import type { Meter } from '@opentelemetry/api';

export function adminMetrics(meter: Meter) {
  const requests = meter.createCounter('hookline_admin_requests_total', {
    description: 'Admin API requests, by route and status',
  });
  const logged = meter.createCounter('hookline_admin_log_attempts_total', {
    description: 'Delivery attempts written to the delivery log',
  });
  const retried = meter.createCounter('hookline_admin_retries_total', {
    description: 'Messages re-sent by manual retry or bulk recover',
  });
  const published = meter.createCounter('hookline_admin_published_total', {
    description: 'Messages published to a tenant (HTTP API and outbound.requests), duplicates excluded',
  });
  return {
    published: (n: number) => published.add(n),
    request: (route: string, status: number) => requests.add(1, { route, status: String(status) }),
    logged: (n: number) => logged.add(n),
    retried: (n: number) => retried.add(n),
  };
}
