import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import type { ErrorDetails } from './errors.ts';

function makeAjv(coerce: boolean, dropUnknown = true): Ajv {
  const ajv = new Ajv({
    // Unknown fields are dropped, as the original API (Django REST framework) did: existing clients
    // send read-only fields back and must keep working. 'all' strips whatever `properties` does not
    // name; free-form objects must use Type.Record (patternProperties), which keeps their keys.
    removeAdditional: dropUnknown ? 'all' : false,
    useDefaults: true,
    coerceTypes: coerce ? 'array' : false,
    allErrors: true,
    strict: false,
  });
  addFormats.default(ajv);
  // Dates accept a full ISO datetime too (the date part is kept by the handler), as the spec says.
  ajv.addFormat('date-or-datetime', /^\d{4}-\d{2}-\d{2}(?:[T ][0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$/i);
  ajv.addKeyword({ keyword: 'x-field', schemaType: 'string' });
  return ajv;
}

// Query strings and path params are text and need coercion; JSON bodies must already have the
// right types, so `"5"` for a number is an error there, not silently accepted.
const coercing = makeAjv(true);
const strict = makeAjv(false);
// Headers are validated in place on `request.headers`: stripping the undeclared ones would take
// Host, Accept-Encoding… away from everything after validation (links, compression).
const headerAjv = makeAjv(true, false);
const cache = new WeakMap<object, ValidateFunction>();

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? strict : httpPart === 'headers' ? headerAjv : coercing;
  const key = schema as object;
  let validate = httpPart === 'body' ? cache.get(key) : undefined;
  if (!validate) {
    validate = ajv.compile(schema as object);
    if (httpPart === 'body') cache.set(key, validate);
  }
  return validate as ReturnType<FastifySchemaCompiler<unknown>>;
};

/** Compiles a body schema for use outside Fastify's pipeline (multipart forms). */
export function compileBodyValidator(schema: object): ValidateFunction {
  return strict.compile(schema);
}

function fieldOf(error: ErrorObject): string {
  if (error.keyword === 'required') return String(error.params.missingProperty);
  const path = error.instancePath.replace(/^\//, '').split('/').filter(Boolean);
  // Keep the array index (options.3) but name the top field when that is all there is.
  return path.length > 0 ? path.join('.') : 'non_field_errors';
}

function problemOf(error: ErrorObject): string {
  switch (error.keyword) {
    case 'required':
      return 'This field is required.';
    case 'type':
      return error.params.type === 'null'
        ? 'This field may not be null.'
        : `Must be of type ${String(error.params.type)}.`;
    case 'maxLength':
      return `Ensure this field has no more than ${String(error.params.limit)} characters.`;
    case 'minLength':
      return error.params.limit === 1
        ? 'This field may not be blank.'
        : `Ensure this field has at least ${String(error.params.limit)} characters.`;
    case 'format':
      return `Enter a valid ${String(error.params.format).replace('date-or-datetime', 'date (YYYY-MM-DD)')}.`;
    case 'enum':
      return `Must be one of: ${(error.params.allowedValues as unknown[]).join(', ')}.`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `Must be ${String(error.params.comparison)} ${String(error.params.limit)}.`;
    case 'minItems':
      return `Ensure this list has at least ${String(error.params.limit)} items.`;
    case 'maxItems':
      return `Ensure this list has no more than ${String(error.params.limit)} items.`;
    case 'pattern':
      return 'Invalid format.';
    case 'anyOf':
    case 'oneOf':
      return 'Invalid value.';
    default:
      return error.message ?? 'Invalid value.';
  }
}

/** Turns Ajv errors into the envelope's `{field: [problems]}` details, one entry per problem. */
export function detailsFromAjv(errors: readonly ErrorObject[]): ErrorDetails {
  const details: ErrorDetails = {};
  for (const error of errors) {
    // anyOf reports each failed branch too; the branch errors are noise once anyOf itself is named.
    if (
      errors.some(
        (e) =>
          e.keyword === 'anyOf' &&
          error !== e &&
          error.schemaPath.startsWith(e.schemaPath.replace(/anyOf$/, 'anyOf/')),
      )
    )
      continue;
    const field = fieldOf(error);
    const problem = problemOf(error);
    const list = (details[field] ??= []);
    if (!list.includes(problem)) list.push(problem);
  }
  return details;
}
