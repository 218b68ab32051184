/** The pass rule for one reply: no 5xx, an answer at all, and every error in the one envelope. */
import type { WireResponse } from './transport.ts';

export type FindingKind = '5xx' | 'envelope' | 'no-response' | 'slow';

/**
 * Why a reply fails the rule, or null when it passes. `slowMs`: a reply slower than this is a
 * finding too (one request that blocks the event loop stalls every other client).
 */
export function judge(
  response: WireResponse,
  elapsedMs = 0,
  slowMs = Infinity,
): { kind: FindingKind; reason: string } | null {
  if (response.transportError) return { kind: 'no-response', reason: response.transportError };
  if (response.status >= 500) return { kind: '5xx', reason: `status ${response.status}` };
  if (elapsedMs > slowMs) return { kind: 'slow', reason: `answered after more than ${slowMs} ms` };
  if (response.status < 400) return null;
  const type = String(response.headers['content-type'] ?? '');
  if (!type.startsWith('application/json')) return { kind: 'envelope', reason: `content-type "${type}"` };
  let body: any;
  try {
    body = JSON.parse(response.text);
  } catch {
    return { kind: 'envelope', reason: 'body is not JSON' };
  }
  const error = body?.error;
  if (error === null || typeof error !== 'object') return { kind: 'envelope', reason: 'no "error" object' };
  if (error.code !== response.status)
    return { kind: 'envelope', reason: `code ${String(error.code)} ≠ status ${response.status}` };
  if (typeof error.type !== 'string' || error.type === '')
    return { kind: 'envelope', reason: 'type missing' };
  if (typeof error.message !== 'string' || error.message === '')
    return { kind: 'envelope', reason: 'message missing' };
  if (error.details === null || typeof error.details !== 'object' || Array.isArray(error.details))
    return { kind: 'envelope', reason: 'details is not an object' };
  if (typeof error.request_id !== 'string' || error.request_id === '')
    return { kind: 'envelope', reason: 'request_id missing' };
  const header = response.headers['x-request-id'];
  if (header !== undefined && header !== error.request_id)
    return { kind: 'envelope', reason: `request_id ${error.request_id} ≠ X-Request-Id ${String(header)}` };
  const keys = Object.keys(body);
  if (keys.length !== 1) return { kind: 'envelope', reason: `extra top-level keys: ${keys.join(', ')}` };
  return null;
}
