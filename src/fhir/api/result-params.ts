/**
 * The search parameters every resource's search shares (pure): `patient`/`subject` (the caller's
 * own; another Patient means an empty Bundle), `_count` (clamped, not refused), `_sort`,
 * `_summary=count`, `_total`, `_cursor`, and the silent `_format`/`_pretty`.
 *
 *   const state = newResultParams(defaultSort)
 *   applyResultParam(state, key, values, { patientId, sorts }) -> true when handled
 */
import { invalidField } from '../../errors.ts';

const MAX_COUNT = 500;
const DEFAULT_COUNT = 50;

export interface ResultParams<S extends string> {
  limit: number;
  sort: S;
  /** `patient`/`subject` named someone other than the caller. */
  foreignPatient: boolean;
  summaryCount: boolean;
  total: boolean;
  cursor: string | undefined;
  /** Parameters used, as given (for the self link), without _cursor. */
  used: [string, string][];
  ignored: string[];
}

export function newResultParams<S extends string>(sort: S): ResultParams<S> {
  return {
    limit: DEFAULT_COUNT,
    sort,
    foreignPatient: false,
    summaryCount: false,
    total: false,
    cursor: undefined,
    used: [],
    ignored: [],
  };
}

const PATIENT_KEYS = new Set(['patient', 'subject', 'patient:Patient', 'subject:Patient']);
const SILENT = new Set(['_format', '_pretty']);

export function applyResultParam<S extends string>(
  state: ResultParams<S>,
  key: string,
  values: string[],
  ctx: { patientId: string; sorts: ReadonlySet<S> },
): boolean {
  const use = () => {
    for (const v of values) state.used.push([key, v]);
  };
  const ignore = () => state.ignored.push(`${key}=${values.join(',')}`);
  if (PATIENT_KEYS.has(key)) {
    for (const v of values) {
      if (!v.split(',').some((ref) => refersTo(ref, ctx.patientId))) state.foreignPatient = true;
    }
    use();
    return true;
  }
  switch (key) {
    case '_count': {
      const n = Number(values[values.length - 1]);
      if (!Number.isInteger(n) || n < 0) throw invalidField('_count', 'must be a non-negative integer');
      state.limit = Math.min(n, MAX_COUNT);
      if (n === 0) state.summaryCount = true;
      state.used.push([key, String(state.limit)]);
      return true;
    }
    case '_sort': {
      const [first, ...rest] = values.flatMap((v) => v.split(','));
      if (first && ctx.sorts.has(first as S) && rest.length === 0) {
        state.sort = first as S;
        use();
      } else ignore();
      return true;
    }
    case '_summary':
      if (values.includes('count')) {
        state.summaryCount = true;
        use();
      } else if (!values.every((v) => v === 'false')) ignore();
      return true;
    case '_total':
      if (values.every((v) => v === 'none' || v === 'estimate' || v === 'accurate')) {
        state.total = values.some((v) => v !== 'none');
        use();
      } else ignore();
      return true;
    case '_cursor':
      state.cursor = values[values.length - 1];
      return true;
    default:
      return SILENT.has(key);
  }
}

/** `123`, `Patient/123`, or an absolute `…/Patient/123` all name Patient 123. */
function refersTo(ref: string, patientId: string): boolean {
  return ref === patientId || ref === `Patient/${patientId}` || ref.endsWith(`/Patient/${patientId}`);
}
