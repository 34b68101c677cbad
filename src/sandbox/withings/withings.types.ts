// The Withings emulator's options and the JSON shapes it serves (docs/withings.md, The sandbox emulator).
// Field names are Withings' own; values are what a real answer would carry.

export interface WithingsClient {
  clientId: string;
  clientSecret: string;
  /** Registered callback URLs; authorize2 needs an exact match. */
  redirectUris: string[];
}

export interface WithingsOptions {
  /** Requests per rolling 60 s per application, all users together (default 120; over: status 601). */
  rateLimitPerMinute?: number;
  /** Access token lifetime (default 10800, Withings' 3 h). */
  accessTokenTtlSeconds?: number;
  /** Page size of getmeas, getactivity, getsummary and getworkouts (defaults 1000, 200, 300, 200). */
  pageSize?: number;
  /** How long a callback may take to answer before the try counts as failed (default 2000). */
  notifyTimeoutMs?: number;
  /** Waits before the 2nd..5th delivery cycle (default 10 s, 1 min, 1 h, 4 h); two tries per cycle. */
  notifyRetryDelaysMs?: number[];
  /** Remove a subscription after this many failed tries in a row (Withings' older rule: 4). Default: never. */
  notifyRemoveAfterFailures?: number;
  /**
   * Enforce Withings' callback URL rules (https, port 80/443, no IP or localhost, at most 255 chars)
   * on redirect URIs and notification URLs. Default false: tests and demo mode run on loopback http.
   */
  strictCallbackUrls?: boolean;
}

export interface ResolvedWithingsOptions {
  rateLimitPerMinute: number;
  accessTokenTtlSeconds: number;
  pageSize?: number;
  notifyTimeoutMs: number;
  notifyRetryDelaysMs: number[];
  notifyRemoveAfterFailures: number;
  strictCallbackUrls: boolean;
}

export type Params = Record<string, string | undefined>;

export interface Measure {
  value: number;
  type: number;
  unit: number;
  algo?: number;
  fm?: number;
  position?: number;
}

export interface MeasureGroup {
  grpid: number;
  attrib: number;
  date: number;
  created: number;
  modified: number;
  category: number;
  deviceid: string | null;
  hash_deviceid: string | null;
  measures: Measure[];
  modelid: number | null;
  model: string | null;
  comment: null;
}

/** The data fields of a getactivity row (hr_* only on days with heart rate). */
export interface ActivityFields {
  steps: number;
  distance: number;
  elevation: number;
  soft: number;
  moderate: number;
  intense: number;
  active: number;
  calories: number;
  totalcalories: number;
  hr_average?: number;
  hr_min?: number;
  hr_max?: number;
  hr_zone_0?: number;
  hr_zone_1?: number;
  hr_zone_2?: number;
  hr_zone_3?: number;
}

export type ActivitySource = 'watch' | 'phone';

export interface ActivityRow extends ActivityFields {
  deviceid: string | null;
  hash_deviceid: string | null;
  timezone: string;
  date: string;
  modified: number;
  brand: number;
  modelid: number;
  model: string;
  is_tracker: boolean;
}

export interface SleepSeries {
  id: number;
  timezone: string;
  model: number;
  model_id: number;
  hash_deviceid: string | null;
  startdate: number;
  enddate: number;
  date: string;
  data: Record<string, number | null>;
  created: number;
  modified: number;
}

/** What a test hook asks the emulator to send (the body Withings POSTs to a callback URL). */
export type NotifyPayload =
  | { appli: 1 | 2 | 4 | 44 | 54 | 50 | 51 | 52 | 55 | 58; startdate: number; enddate: number }
  | { appli: 16; date: string }
  | { appli: 46; action: 'unlink' | 'delete' | 'update' };
