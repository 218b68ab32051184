/** Reads the served OpenAPI document into a flat list of operations the generator can target. */

export type JsonSchema = Record<string, unknown>;

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required: boolean;
  schema: JsonSchema;
}

export interface Operation {
  /** `METHOD /path/{param}/`, as printed in the report. */
  key: string;
  method: string;
  path: string;
  params: Parameter[];
  /** Request body schemas by media type (empty when the operation takes no body). */
  body: Record<string, JsonSchema>;
  bodyRequired: boolean;
}

const METHODS = ['get', 'put', 'post', 'patch', 'delete'];

/** Inlines `$ref: '#/components/schemas/X'` (and `X` itself, as @fastify/swagger names them). */
function resolver(doc: Record<string, any>) {
  const components: Record<string, JsonSchema> = doc.components?.schemas ?? {};
  const resolve = (schema: unknown, depth = 0): unknown => {
    if (depth > 20 || schema === null || typeof schema !== 'object') return schema;
    if (Array.isArray(schema)) return schema.map((s) => resolve(s, depth + 1));
    const record = schema as Record<string, unknown>;
    if (typeof record.$ref === 'string') {
      const name = record.$ref.replace(/^#\/components\/schemas\//, '').replace(/#$/, '');
      return resolve(components[name] ?? {}, depth + 1);
    }
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, resolve(v, depth + 1)]));
  };
  return (schema: unknown) => (resolve(schema) ?? {}) as JsonSchema;
}

/** Every operation of the document, in document order. */
export function readOperations(doc: Record<string, any>): Operation[] {
  const resolve = resolver(doc);
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries<Record<string, any>>(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const params: Parameter[] = [...(item.parameters ?? []), ...(op.parameters ?? [])].map((p: any) => ({
        name: String(p.name),
        in: p.in,
        required: Boolean(p.required),
        schema: resolve(p.schema ?? {}),
      }));
      // Path parameters the document forgot to declare are still substituted.
      for (const match of path.matchAll(/\{([^}]+)\}/g)) {
        if (!params.some((p) => p.in === 'path' && p.name === match[1]))
          params.push({ name: match[1]!, in: 'path', required: true, schema: { type: 'string' } });
      }
      const body: Record<string, JsonSchema> = {};
      for (const [media, content] of Object.entries<any>(op.requestBody?.content ?? {}))
        body[media] = resolve(content.schema ?? {});
      operations.push({
        key: `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
        params,
        body,
        bodyRequired: Boolean(op.requestBody?.required),
      });
    }
  }
  return operations;
}
