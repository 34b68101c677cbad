/**
 * The Withings JSON this folder reads: the `body` of a `{status, body}` answer. Only the fields the
 * mappers use, all optional or nullable, because Withings omits fields that were not asked for and
 * its fixtures drift from its own schema (an integer `model`, `modelid` beside `model_id`, ids as
 * integers or strings). Facts and their sources: docs/withings.md "Mapping to FHIR".
 */

/** Withings sends int64 ids as JSON numbers; some clients see strings. Both are accepted. */
export type WithingsId = number | string;

/** `/measure?action=getmeas` body. */
export interface GetMeasBody {
  updatetime?: number | string;
  /** IANA zone of the whole answer: group dates are rendered in it. */
  timezone?: string | null;
  measuregrps?: MeasureGroup[] | null;
  more?: number | boolean;
  offset?: number;
}

export interface MeasureGroup {
  grpid?: WithingsId | null;
  /** 0 device, 1 ambiguous, 2 manual, 4 manual at account creation, 8 same as 0, others seen. */
  attrib?: number | null;
  /** Epoch seconds of the measurement. */
  date?: number | null;
  created?: number | null;
  modified?: number | null;
  /** 1 real measure, 2 user objective. */
  category?: number | null;
  deviceid?: string | null;
  hash_deviceid?: string | null;
  model?: string | number | null;
  modelid?: number | null;
  model_id?: number | null;
  measures?: Measure[] | null;
}

export interface Measure {
  /** Real value = value x 10^unit. */
  value?: number | null;
  type?: number | null;
  unit?: number | null;
  position?: number | null;
}

/** `/v2/measure?action=getactivity` body. */
export interface GetActivityBody {
  activities?: ActivityDay[] | null;
  more?: boolean | number;
  offset?: number;
}

export interface ActivityDay {
  /** Local calendar day in `timezone`, 'YYYY-MM-DD'. */
  date?: string | null;
  timezone?: string | null;
  deviceid?: string | null;
  hash_deviceid?: string | null;
  /** 1 Withings, 18 an external source (phone, partner app). */
  brand?: number | null;
  is_tracker?: boolean | null;
  model?: string | number | null;
  modelid?: number | null;
  model_id?: number | null;
  modified?: number | null;
  steps?: number | null;
  /** Metres. */
  distance?: number | null;
  /** Active kcal. */
  calories?: number | null;
  /** Active + passive kcal. */
  totalcalories?: number | null;
}

/** `/v2/sleep?action=getsummary` body. */
export interface GetSleepSummaryBody {
  series?: SleepSummary[] | null;
  more?: boolean | number;
  offset?: number;
}

export interface SleepSummary {
  id?: WithingsId | null;
  timezone?: string | null;
  /** 16 tracker, 32 sleep monitor: a device class, not a name. */
  model?: number | string | null;
  model_id?: number | null;
  hash_deviceid?: string | null;
  /** Epoch seconds. */
  startdate?: number | null;
  enddate?: number | null;
  /** Local date of `enddate` in `timezone`. */
  date?: string | null;
  created?: number | null;
  modified?: number | null;
  data?: SleepSummaryData | null;
}

/** Durations in seconds; rates per minute. */
export interface SleepSummaryData {
  total_sleep_time?: number | null;
  /** Sleep from an external source, whose stages are null. */
  asleepduration?: number | null;
  lightsleepduration?: number | null;
  deepsleepduration?: number | null;
  remsleepduration?: number | null;
  wakeupduration?: number | null;
  total_timeinbed?: number | null;
  hr_average?: number | null;
  rr_average?: number | null;
}
