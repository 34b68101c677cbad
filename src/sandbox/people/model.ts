// The synthetic person and the points the sandbox holds for them. Points are kept compact
// (numbers, not JSON) and turned into Google Health JSON only when served.

import type { SimulatedType } from '../catalog.ts';

/** tracker = wrist device, scale = smart scale, phone = phone step counter (Health Connect). */
export type SourceId = 'tracker' | 'scale' | 'phone';

export interface Device {
  displayName: string;
  formFactor: 'WATCH' | 'FITNESS_BAND' | 'SCALE' | 'PHONE';
  manufacturer: string;
  platform: 'FITBIT' | 'HEALTH_CONNECT';
}

export interface PersonProfile {
  /** The Google Health user id (healthUserId): a 19-digit decimal string unless chosen. */
  id: string;
  /** Six-character legacy Fitbit id; absent for people who never had a Fitbit account. */
  legacyUserId?: string;
  displayName: string;
  timeZone: string;
  seed: number;
  /** First local date that has data ('YYYY-MM-DD'). */
  firstDate: string;
  birthYear: number;
  restingHr: number;
  stepsTarget: number;
  strideMm: number;
  bmrKcal: number;
  weightGrams: number;
  bodyFatPercentage: number;
  hrvMs: number;
  breathsPerMinute: number;
  skinTemperatureCelsius: number;
  tracker: Device;
  /** Absent when the person owns no scale. */
  scale?: Device;
  /** Absent when the person carries no phone that counts steps. */
  phone?: Device;
  /** Whether the person also has a Fitbit (Google Health) account; without one Google says ACCOUNT_NOT_LINKED. */
  fitbit: boolean;
  /** The person's Withings account (docs/withings.md, The sandbox emulator). */
  withings: WithingsAccount;
}

/** Which Withings devices a person owns, and their Withings user id (an integer, as Withings sends it). */
export interface WithingsAccount {
  userid: number;
  /** Body Cardio scale: weight, body composition, standing heart rate, pulse wave velocity. */
  scale: boolean;
  /** BPM Connect cuff: blood pressure and pulse. */
  bpCuff: boolean;
  /** Sleep Analyzer under the mattress: sleep summaries and high-frequency sleep data. */
  sleepAnalyzer: boolean;
  /** ScanWatch: activity days and intraday data from a tracker; otherwise only phone days. */
  watch: boolean;
  /** Whether the person set goals (getgoals answers `goals: []` otherwise). */
  goals: boolean;
}

export interface Point {
  type: SimulatedType;
  source: SourceId;
  /** Interval start, sample time, session start, or local midnight for daily types (epoch ms). */
  start: number;
  /** Interval or session end; equal to start for samples and daily types. */
  end: number;
  startOffset: number;
  endOffset: number;
  /** The instant from which the API shows the point (a sync or a daily computation). */
  visibleAt: number;
  /** Primary number used by rollups: count, mm, kcal, bpm, grams, percent. */
  value: number;
  /** Local date for daily types. */
  date?: string;
  /** Data point id for identifiable types (weight, body-fat, sleep). */
  id?: string;
  /** Extra fields of the union object, already in API JSON form. */
  fields?: Record<string, unknown>;
}

export interface StatSummary {
  avg: number;
  min: number;
  max: number;
  count: number;
}

export interface SleepTruth {
  dataPointId: string;
  startTime: string;
  endTime: string;
  minutesInSleepPeriod: number;
  minutesAsleep: number;
  minutesAwake: number;
  stageMinutes: Record<'LIGHT' | 'DEEP' | 'REM' | 'AWAKE', number>;
}

/**
 * Ground truth for one local date, keyed by data type id: what the Fitbit app would show.
 * A missing key means the vendor holds no data of that type for that date.
 */
export interface DayTruth {
  date: string;
  /** Minutes the tracker was worn (0 on a no-wear day). */
  wornMinutes: number;
  steps?: number;
  distance?: number;
  'active-energy-burned'?: number;
  'total-calories'?: number;
  'heart-rate'?: StatSummary;
  'daily-resting-heart-rate'?: number;
  'oxygen-saturation'?: StatSummary;
  'daily-oxygen-saturation'?: number;
  weight?: number;
  'body-fat'?: number;
  sleep?: SleepTruth;
  'daily-heart-rate-variability'?: number;
  'daily-respiratory-rate'?: number;
  'daily-sleep-temperature-derivations'?: number;
}

export interface DayData {
  date: string;
  dayStart: number;
  dayEnd: number;
  points: Map<SimulatedType, Point[]>;
  truth: DayTruth;
}

export const TRACKERS: Device[] = [
  { displayName: 'Pixel Watch 3', formFactor: 'WATCH', manufacturer: 'Google', platform: 'FITBIT' },
  { displayName: 'Charge 6', formFactor: 'FITNESS_BAND', manufacturer: 'Fitbit', platform: 'FITBIT' },
  { displayName: 'Inspire 3', formFactor: 'FITNESS_BAND', manufacturer: 'Fitbit', platform: 'FITBIT' },
];
export const SCALE: Device = {
  displayName: 'Aria Air',
  formFactor: 'SCALE',
  manufacturer: 'Fitbit',
  platform: 'FITBIT',
};
export const PHONE: Device = {
  displayName: 'Pixel 9',
  formFactor: 'PHONE',
  manufacturer: 'Google',
  platform: 'HEALTH_CONNECT',
};
