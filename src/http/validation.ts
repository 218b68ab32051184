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

const NUL_PROBLEM = 'Null characters are not allowed.';
const SURROGATE_PROBLEM = 'Invalid Unicode: unpaired surrogate.';
const LONE_SURROGATE = /\p{Cs}/u; // with the u flag a proper pair is one code point and does not match

/** Why `text` cannot be stored as it is, if it cannot. */
function textProblem(text: string): string | null {
  if (text.includes('\u0000')) return NUL_PROBLEM;
  if (LONE_SURROGATE.test(text)) return SURROGATE_PROBLEM;
  return null;
}

/**
 * Where accepted input holds text PostgreSQL cannot store: a NUL character (U+0000) or an unpaired
 * UTF-16 surrogate (JSON allows the escape `\ud800`), in a value or a key. PostgreSQL fails the
 * whole statement on a NUL and the embedded driver on a lone surrogate, so each is a field error
 * here instead of a 500 later. Walks iteratively: free-form objects nest.
 */
function textErrors(data: unknown): ErrorObject[] {
  const errors: ErrorObject[] = [];
  const found = (instancePath: string, message: string) =>
    errors.push({ keyword: 'storableText', instancePath, schemaPath: '#', params: {}, message });
  const stack: [unknown, string][] = [[data, '']];
  while (stack.length > 0 && errors.length < 20) {
    const [value, path] = stack.pop()!;
    if (typeof value === 'string') {
      const problem = textProblem(value);
      if (problem) found(path, problem);
    } else if (value !== null && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) {
        const childPath = `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
        const problem = textProblem(key);
        if (problem) found(childPath, problem);
        else stack.push([child, childPath]);
      }
    }
  }
  return errors;
}

/** Ajv's check, then the text check on what it accepted (unknown fields are already stripped). */
function rejectingUnstorableText(validate: ValidateFunction): ValidateFunction {
  const wrapped = ((data: unknown) => {
    const valid = validate(data);
    const problems = valid ? textErrors(data) : [];
    wrapped.errors = problems.length > 0 ? problems : validate.errors;
    return valid && problems.length === 0;
  }) as ValidateFunction;
  wrapped.errors = null;
  return wrapped;
}

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? strict : httpPart === 'headers' ? headerAjv : coercing;
  const key = schema as object;
  let validate = httpPart === 'body' ? cache.get(key) : undefined;
  if (!validate) {
    validate = rejectingUnstorableText(ajv.compile(schema as object));
    if (httpPart === 'body') cache.set(key, validate);
  }
  return validate as ReturnType<FastifySchemaCompiler<unknown>>;
};

/** Compiles a body schema for use outside Fastify's pipeline (multipart forms, socket frames). */
export function compileBodyValidator(schema: object): ValidateFunction {
  return rejectingUnstorableText(strict.compile(schema));
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

/** Problems reported per reply: a 250,000-item array of wrong types is one mistake, not 250,000. */
export const MAX_REPORTED_PROBLEMS = 100;

/**
 * Turns Ajv errors into the envelope's `{field: [problems]}` details, one entry per problem.
 * Linear in the number of errors: with allErrors a 1 MB body yields hundreds of thousands of them,
 * and comparing each with each (as this once did) froze the event loop for minutes.
 */
export function detailsFromAjv(errors: readonly ErrorObject[]): ErrorDetails {
  // anyOf reports each failed branch too; the branch errors are noise once anyOf itself is named.
  const anyOfBranches = new Set<string>();
  for (const e of errors)
    if (e.keyword === 'anyOf') anyOfBranches.add(e.schemaPath.replace(/anyOf$/, 'anyOf/'));
  const branches = [...anyOfBranches];
  const details: ErrorDetails = {};
  let reported = 0;
  for (const error of errors) {
    if (branches.some((prefix) => error.schemaPath.startsWith(prefix))) continue;
    const field = fieldOf(error);
    const problem = problemOf(error);
    const list = (details[field] ??= []);
    if (!list.includes(problem)) list.push(problem);
    if (++reported >= MAX_REPORTED_PROBLEMS) break;
  }
  return details;
}
