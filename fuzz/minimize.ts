/**
 * Shrinks a failing request while it keeps failing the same way: drops headers and query pairs,
 * removes body keys, and halves long strings, arrays and raw text.
 */
import type { WireRequest } from './transport.ts';

type StillFails = (request: WireRequest) => Promise<boolean>;

function shrinkJson(value: unknown): unknown[] {
  const out: unknown[] = [];
  if (typeof value === 'string' && value.length > 16) out.push(value.slice(0, Math.ceil(value.length / 2)));
  if (Array.isArray(value)) {
    if (value.length > 1) out.push(value.slice(0, Math.ceil(value.length / 2)));
    value.forEach((item, i) =>
      shrinkJson(item).forEach((s) => out.push(value.map((v, j) => (j === i ? s : v)))),
    );
  } else if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const { [key]: _dropped, ...rest } = record;
      out.push(rest);
      for (const smaller of shrinkJson(record[key]).slice(0, 4)) out.push({ ...record, [key]: smaller });
    }
  }
  return out;
}

function candidates(request: WireRequest): WireRequest[] {
  const out: WireRequest[] = [];
  for (const name of Object.keys(request.headers)) {
    const { [name]: _dropped, ...headers } = request.headers;
    out.push({ ...request, headers });
  }
  const [path, query] = request.url.split(/\?(.*)/s);
  if (query !== undefined) {
    const pairs = query.split('&');
    out.push({ ...request, url: path! });
    if (pairs.length > 1)
      pairs.forEach((_, i) =>
        out.push({ ...request, url: `${path}?${pairs.filter((__, j) => j !== i).join('&')}` }),
      );
  }
  if (request.body !== undefined) {
    out.push({ ...request, body: undefined });
    const text = typeof request.body === 'string' ? request.body : null;
    let parsed: unknown = undefined;
    try {
      parsed = text !== null ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (parsed !== undefined)
      for (const smaller of shrinkJson(parsed)) out.push({ ...request, body: JSON.stringify(smaller) });
    else if (request.body.length > 8) {
      const half = Math.ceil(request.body.length / 2);
      const body =
        typeof request.body === 'string' ? request.body.slice(0, half) : request.body.subarray(0, half);
      out.push({ ...request, body });
    }
  }
  return out;
}

const size = (r: WireRequest) => r.url.length + JSON.stringify(r.headers).length + (r.body?.length ?? 0);

/** The smallest variant found (within `budget` attempts) that still fails. */
export async function minimize(
  request: WireRequest,
  stillFails: StillFails,
  budget = 300,
): Promise<WireRequest> {
  let best = request;
  let attempts = 0;
  for (let improved = true; improved && attempts < budget;) {
    improved = false;
    for (const candidate of candidates(best)) {
      if (attempts++ >= budget) break;
      if (size(candidate) >= size(best)) continue;
      if (await stillFails(candidate)) {
        best = candidate;
        improved = true;
        break;
      }
    }
  }
  return best;
}
