import fastJsonStringify, { type Options, type Schema as FjsSchema } from 'fast-json-stringify';

type Schema = Record<string, unknown>;
type Factory = (
  externalSchemas?: unknown,
  options?: Options,
) => (route: { schema?: unknown }) => (data: unknown) => string;

const isNull = (option: unknown) =>
  typeof option === 'object' &&
  option !== null &&
  Object.keys(option).length === 1 &&
  (option as Schema).type === 'null';

/**
 * `X | null` in our TypeBox schemas is `anyOf: [X, {type: 'null'}]`, which is what OpenAPI 3.1
 * should say. fast-json-stringify, though, picks an anyOf branch by running Ajv over the value:
 * every collaborator of a trip list validated its whole user object (date-time formats included)
 * just to learn it was not null — about 6 % of a trip-list request. For serialization only, such
 * a union becomes `X` with `nullable: true`, which it compiles to a plain `=== null` test (for a
 * `$ref`, the sibling keyword is merged into the referenced schema). The documented schemas are
 * not touched: a copy is rewritten. Likewise a union of literals (`'healthy' | 'unhealthy'`)
 * becomes an enum of its type.
 */
export function nullableForSerializer(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(nullableForSerializer);
  if (typeof node !== 'object' || node === null) return node;
  const copy: Schema = {};
  for (const key of Object.keys(node)) copy[key] = nullableForSerializer((node as Schema)[key]);
  const options = copy.anyOf;
  if (!Array.isArray(options)) return copy;
  // A union of literals of one type (TypeBox's Union of Literals) serializes as that type.
  const type = (options[0] as Schema | undefined)?.type;
  if (typeof type === 'string' && options.every((o: Schema) => o.type === type && 'const' in o)) {
    const { anyOf: _literals, ...rest } = copy;
    return { ...rest, type, enum: options.map((o: Schema) => o.const) };
  }
  if (options.length !== 2 || !options.some(isNull)) return copy;
  const other = options.find((option) => !isNull(option)) as Schema | undefined;
  const simple = other && (typeof other.$ref === 'string' || typeof other.type === 'string') && !other.anyOf;
  if (!simple) return copy;
  const { anyOf: _union, ...siblings } = copy;
  return { ...siblings, ...other, nullable: true };
}

/** Whether fast-json-stringify would still need its validator (a union or condition is left). */
function needsValidator(node: unknown): boolean {
  if (Array.isArray(node)) return node.some(needsValidator);
  if (typeof node !== 'object' || node === null) return false;
  const schema = node as Schema;
  if (schema.anyOf || schema.oneOf || schema.allOf || schema.if) return true;
  return Object.values(schema).some(needsValidator);
}

/**
 * Fastify's response serializer factory (as @fastify/fast-json-stringify-compiler) on rewritten
 * schemas. A route whose rewritten schema still holds a union keeps the original schemas whole:
 * the validator fast-json-stringify then compiles refuses `nullable` without `type`, and would
 * judge a null wrongly through a rewritten `$ref`.
 */
export const buildSerializer: Factory = (externalSchemas, options) => {
  const original = (externalSchemas ?? {}) as Record<string, FjsSchema>;
  const rewritten = nullableForSerializer(original) as Record<string, FjsSchema>;
  const sharedClean = !needsValidator(rewritten);
  return ({ schema }) => {
    const candidate = nullableForSerializer(schema);
    const clean = sharedClean && !needsValidator(candidate);
    let external = clean ? rewritten : original;
    // A route schema that is itself a shared schema must not be passed twice (as the default does).
    const id = (schema as Schema | undefined)?.$id;
    if (typeof id === 'string' && id in external) {
      external = { ...external };
      delete external[id];
    }
    return fastJsonStringify((clean ? candidate : schema) as FjsSchema, { ...options, schema: external });
  };
};
