import { Ajv, type Options } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifyInstance } from 'fastify';
import type { FieldError } from '../errors.ts';

// NOTE: ajv-formats is CommonJS; under Node's ESM loader its default export is the plugin.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

// `verbose`: an error carries the schema it failed, so a union of literals can list them all
// (toFieldErrors); it costs nothing while input is valid.
const common: Options = {
  allErrors: false,
  useDefaults: true,
  removeAdditional: false,
  strict: false,
  verbose: true,
};

// Query strings and params arrive as text and are coerced; JSON bodies are not: a number
// where a string belongs is a 400, not a silent conversion.
export function registerValidation(app: FastifyInstance): void {
  const coercing = addFormats(new Ajv({ ...common, coerceTypes: 'array' }));
  const strict = addFormats(new Ajv({ ...common, coerceTypes: false }));
  app.setValidatorCompiler(({ schema, httpPart }) => {
    const ajv = httpPart === 'body' ? strict : coercing;
    return ajv.compile(schema);
  });
}

export interface AjvLikeError {
  instancePath?: string;
  schemaPath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
  /** The schema holding the failed keyword (Ajv's `verbose`). */
  parentSchema?: unknown;
}

/** Where Fastify validated (its `validationContext`) -> the name a caller knows that part by. */
const PART_NAMES: Record<string, string> = {
  body: 'body',
  querystring: 'query',
  params: 'params',
  headers: 'headers',
};

interface Pending extends FieldError {
  schemaPath: string;
  /** The literals this error admits (const / enum), so that a union of them reads as one list. */
  allowed?: unknown[];
}

/**
 * Ajv's errors as field errors named the way the caller sent them: a query parameter, path
 * parameter or header by its name (`format`, `vendor`), a body field by its JSON path
 * (`valueQuantity.value`, `entry[0].resource`). A union of literals becomes one
 * "must be one of a, b, c", its values taken from the schema.
 */
export function toFieldErrors(errors: readonly AjvLikeError[], context: string): FieldError[] {
  const out: Pending[] = [];
  for (const e of errors) {
    const schemaPath = e.schemaPath ?? '';
    const field = fieldOf(e, context);
    if (e.keyword === 'anyOf' || e.keyword === 'oneOf') {
      const branches = out.filter((p) => p.schemaPath.startsWith(`${schemaPath}/`));
      for (const b of branches) out.splice(out.indexOf(b), 1);
      const allowed = branches.every((b) => b.allowed) ? branches.flatMap((b) => b.allowed ?? []) : undefined;
      const alternatives = [...new Set(branches.map((b) => b.message))].join(' or ');
      const message = allowed?.length ? oneOf(allowed) : alternatives || (e.message ?? 'is not valid');
      out.push({ field, message, schemaPath, ...(allowed ? { allowed } : {}) });
      continue;
    }
    const allowed = allowedValues(e);
    out.push({ field, message: messageOf(e, context, allowed), schemaPath, ...(allowed ? { allowed } : {}) });
  }
  return out.map(({ field, message }) => ({ field, message }));
}

/** The literals the failed schema admits: a `const` or `enum`, also when its `type` failed first. */
function allowedValues(e: AjvLikeError): unknown[] | undefined {
  if (e.keyword === 'const') return [e.params?.allowedValue];
  if (e.keyword === 'enum') return e.params?.allowedValues as unknown[] | undefined;
  const schema = e.parentSchema as { const?: unknown; enum?: unknown } | undefined;
  if (e.keyword !== 'type' || !schema) return undefined;
  if (schema.const !== undefined) return [schema.const];
  return Array.isArray(schema.enum) ? schema.enum : undefined;
}

function fieldOf(e: AjvLikeError, context: string): string {
  const segments = (e.instancePath ?? '')
    .split('/')
    .slice(1)
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
  const extra = e.params?.missingProperty ?? e.params?.additionalProperty;
  if (typeof extra === 'string') segments.push(extra);
  let field = '';
  for (const s of segments) field += /^\d+$/.test(s) ? `[${s}]` : field === '' ? s : `.${s}`;
  return field || (PART_NAMES[context] ?? context);
}

function messageOf(e: AjvLikeError, context: string, allowed: unknown[] | undefined): string {
  if (allowed?.length) return oneOf(allowed);
  switch (e.keyword) {
    case 'required':
      return 'is required';
    case 'additionalProperties':
      return context === 'body' ? 'is not an allowed field' : 'is not an allowed parameter';
    default:
      return e.message ?? 'is not valid';
  }
}

function oneOf(values: unknown[]): string {
  const shown = [...new Set(values)].map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
  return shown.length === 1 ? `must be ${shown[0]}` : `must be one of ${shown.join(', ')}`;
}
