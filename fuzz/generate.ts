/**
 * One fuzz request for one operation: a caller, a valid-looking baseline built from the
 * operation's schemas, and one family of damage (body, raw text, content type, path, query,
 * headers). Fixtures appear as placeholders, so the sequence depends on the seed alone.
 */
import type { Operation } from './openapi.ts';
import type { Prng } from './prng.ts';
import { mutateBody, rawGarbage } from './body-mutations.ts';
import { wrongContentType } from './content-types.ts';
import { badHeader, badPathValue, badQuery, fixtureForParam, queryValue } from './request-parts.ts';
import { sampleValue } from './schema-values.ts';
import type { Caller } from './world.ts';
import type { WireRequest } from './transport.ts';

export interface FuzzRequest extends WireRequest {
  op: string;
  kind: string;
  caller: Caller;
}

const CALLER_WEIGHTS: [number, Caller][] = [
  [3, 'owner'],
  [3, 'editor'],
  [1, 'viewer'],
  [1.5, 'stranger'],
  [1, 'anonymous'],
  [0.5, 'garbage'],
];

type Family = 'body' | 'raw' | 'ctype' | 'path' | 'query' | 'header' | 'plain';

function family(op: Operation, rng: Prng): Family {
  const hasBody = Object.keys(op.body).length > 0;
  const hasPath = op.params.some((p) => p.in === 'path');
  const hasQuery = op.params.some((p) => p.in === 'query');
  const entries: [number, Family][] = [
    [hasBody ? 5 : 0, 'body'],
    [hasBody ? 2 : 0.5, 'raw'],
    [hasBody ? 2 : 0.5, 'ctype'],
    [hasPath ? 2.5 : 0, 'path'],
    [hasQuery ? 3 : 1, 'query'],
    [1.5, 'header'],
    [0.5, 'plain'],
  ];
  return rng.weighted(entries.filter(([w]) => w > 0));
}

function authHeader(caller: Caller): string | null {
  if (caller === 'anonymous') return null;
  if (caller === 'garbage') return 'Bearer not.a.token';
  return `Bearer §token:${caller}§`;
}

/** The next request for `op`, drawn from `rng`. */
export function generateRequest(op: Operation, rng: Prng): FuzzRequest {
  const caller = rng.weighted(CALLER_WEIGHTS);
  const chosen = family(op, rng);
  const labels: string[] = [];

  // Path: real fixtures, unless this request damages one parameter.
  const pathParams = op.params.filter((p) => p.in === 'path');
  const damaged = chosen === 'path' ? rng.pick(pathParams) : null;
  let path = op.path;
  for (const param of pathParams) {
    const fixture = fixtureForParam(op.path, param.name);
    let value = `§${fixture}§`;
    if (param === damaged) {
      const bad = badPathValue(fixture, rng);
      value = bad.value;
      labels.push(`path:${param.name}:${bad.label}`);
    }
    path = path.replace(`{${param.name}}`, value);
  }

  // Query: some declared parameters with good values, or a broken query string.
  const queryParams = op.params.filter((p) => p.in === 'query');
  let query = queryParams
    .filter((p) => p.required || rng.chance(0.25))
    .map((p) => `${p.name}=${queryValue(p, rng, op.key)}`)
    .join('&');
  if (chosen === 'query') {
    const bad = badQuery(queryParams, rng, op.key);
    query = bad.query;
    labels.push(bad.label);
  }

  const headers: Record<string, string> = {};
  const auth = authHeader(caller);
  if (auth) headers.authorization = auth;
  if (op.params.some((p) => p.name === 'if-match') && rng.chance(0.2)) headers['if-match'] = '"1"';
  if (op.params.some((p) => p.name === 'idempotency-key') && rng.chance(0.2))
    headers['idempotency-key'] = `fz-${rng.word()}`;

  // Body: JSON from the schema, mutated; or garbage; or under the wrong content type.
  let body: string | Buffer | undefined;
  const jsonSchema = op.body['application/json'] ?? Object.values(op.body)[0];
  if (jsonSchema || chosen === 'raw' || chosen === 'ctype') {
    const schema = jsonSchema ?? { type: 'object', properties: {} };
    const fields = sampleValue(schema, '', rng, op.key) as Record<string, unknown>;
    let text = JSON.stringify(fields);
    if (chosen === 'body') {
      const mutated = mutateBody(schema, rng, op.key);
      text = mutated.text;
      labels.push(mutated.kind);
    }
    body = text;
    headers['content-type'] = 'application/json';
    if (chosen === 'raw') {
      const raw = rawGarbage(rng, text);
      body = raw.body;
      labels.push(raw.kind);
    } else if (chosen === 'ctype') {
      const wrong = wrongContentType(text, fields, rng);
      body = wrong.body;
      if (wrong.type === null) delete headers['content-type'];
      else headers['content-type'] = wrong.type;
      labels.push(wrong.label);
    } else if (!jsonSchema) {
      body = undefined;
      delete headers['content-type'];
    } else if (!op.bodyRequired && rng.chance(0.1)) {
      body = undefined;
      delete headers['content-type'];
    }
  }

  if (chosen === 'header') {
    const bad = badHeader(rng);
    headers[bad.name] = bad.value;
    labels.push(bad.label);
  }
  if (chosen === 'plain') labels.push(`plain:${caller}`);

  return {
    op: op.key,
    kind: labels.join(' ') || 'plain',
    caller,
    method: op.method,
    url: query ? `${path}?${query}` : path,
    headers,
    body,
  };
}
