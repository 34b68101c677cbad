/**
 * The Google Health API v4 JSON this folder reads (proto3 JSON mapping: int64 as strings, durations
 * as '900s', enums as names). Only the fields the mappers use; everything is optional because the
 * API omits zero and unset fields. Source: docs/google-health.md §5 (discovery rev 20261002).
 */

export type Int64 = string | number;
/** proto Duration, e.g. '19800s' or '-18000s'. */
export type Duration = string;

export interface CivilDate {
  year: number;
  month: number;
  day: number;
}

export interface CivilDateTime {
  date: CivilDate;
  time?: { hours?: number; minutes?: number; seconds?: number; nanos?: number };
}

export interface DataSource {
  recordingMethod?: string;
  device?: { displayName?: string; formFactor?: string; manufacturer?: string };
  platform?: string;
}

export interface TimeInterval {
  startTime: string;
  startUtcOffset?: Duration;
  endTime: string;
  endUtcOffset?: Duration;
  civilStartTime?: CivilDateTime;
  civilEndTime?: CivilDateTime;
}

export interface SampleTime {
  physicalTime: string;
  utcOffset?: Duration;
  civilTime?: CivilDateTime;
}

export interface SleepStageJson extends TimeInterval {
  type: string;
}

export interface SleepJson {
  interval: TimeInterval;
  type?: string;
  stages?: SleepStageJson[];
  metadata?: { mainSleep?: boolean; nap?: boolean; manuallyEdited?: boolean; processed?: boolean };
  summary?: {
    minutesAsleep?: Int64;
    minutesAwake?: Int64;
    minutesInSleepPeriod?: Int64;
    stagesSummary?: { type: string; minutes?: Int64; count?: Int64 }[];
  };
}

/** One list (or reconcile) item: exactly one union field is set. Reconciled points have no dataSource. */
export interface DataPoint {
  name?: string;
  /** Reconcile responses name the point here instead of `name`. */
  dataPointName?: string;
  dataSource?: DataSource;
  heartRate?: { sampleTime: SampleTime; beatsPerMinute: Int64 };
  oxygenSaturation?: { sampleTime: SampleTime; percentage: number };
  weight?: { sampleTime: SampleTime; weightGrams: number };
  bodyFat?: { sampleTime: SampleTime; percentage: number };
  vo2Max?: { sampleTime: SampleTime; vo2Max: number };
  steps?: { interval: TimeInterval; count: Int64 };
  distance?: { interval: TimeInterval; millimeters: Int64 };
  dailyRestingHeartRate?: { date: CivilDate; beatsPerMinute: Int64 };
  dailyOxygenSaturation?: { date: CivilDate; averagePercentage?: number };
  dailyHeartRateVariability?: { date: CivilDate; averageHeartRateVariabilityMilliseconds?: number };
  dailyRespiratoryRate?: { date: CivilDate; breathsPerMinute?: number };
  dailySleepTemperatureDerivations?: {
    date: CivilDate;
    nightlyTemperatureCelsius?: number;
    baselineTemperatureCelsius?: number;
  };
  dailyVo2Max?: { date: CivilDate; vo2Max?: number };
  sleep?: SleepJson;
}

export interface ListDataPointsResponse {
  dataPoints?: DataPoint[];
  nextPageToken?: string;
}

export interface DailyRollupDataPoint {
  civilStartTime: CivilDateTime;
  civilEndTime: CivilDateTime;
  steps?: { countSum?: Int64 };
  distance?: { millimetersSum?: Int64 };
  totalCalories?: { kcalSum?: number };
}

export interface DailyRollUpResponse {
  rollupDataPoints?: DailyRollupDataPoint[];
  nextPageToken?: string;
}

export interface IdentityResponse {
  name?: string;
  legacyUserId?: string;
  healthUserId: string;
}
