import type { EdgeStep } from './edge.ts';
import { badRequest } from './errors.ts';
import { memoized } from './memo.ts';
import { INFRASTRUCTURE_PATH } from './https.ts';

/** Django's ALLOWED_HOSTS rules: exact names, `.example.com` for a domain and its subdomains, `*` for any. */
export function hostAllowed(host: string, allowed: readonly string[]): boolean {
  const name = host.toLowerCase().replace(/:\d+$/, '').replace(/\.$/, '');
  return allowed.some((pattern) => {
    const p = pattern.toLowerCase();
    if (p === '*') return true;
    if (p.startsWith('.')) return name === p.slice(1) || name.endsWith(p);
    return name === p;
  });
}

/**
 * Refuses requests for hosts we do not serve (an edge step, before any that builds a URL): absolute URLs in
 * responses are built from the Host header, so a forged one must never reach them.
 * Health probes and /metrics are exempt: orchestrators and Prometheus call them by pod IP
 * (/metrics has its own token).
 */
export function hostCheck(allowed: readonly string[]): EdgeStep | null {
  if (allowed.includes('*')) return null;
  const allows = memoized((host: string) => hostAllowed(host, allowed));
  return (request) =>
    INFRASTRUCTURE_PATH.test(request.url) || allows(request.host)
      ? undefined
      : badRequest('Invalid Host header: this server does not serve that host name.', 'disallowed_host');
}
