/**
 * Who wrote a record: `sourceName` and the `device` string, normalised into a stable source and a
 * rank for the Health app's dedup rule (pure).
 *
 *   parseDevice('<<HKDevice: 0x283c21950>, name:Apple Watch, model:Watch, hardware:Watch6,1, ...>')
 *     -> { name: 'Apple Watch', manufacturer: undefined, model: 'Watch', hardware: 'Watch6,1' }
 *   sourceRank({ userEntered, sourceName, model, hardware }) -> 0 user-entered, 1 Watch, 2 iPhone, 3 other
 *
 * NOTE: the device string embeds a per-record memory address and, on newer iOS, a creation date:
 * only name, manufacturer, model and hardware are kept, or one phone becomes many devices
 * (docs/apple-health.md "What maps to what").
 */
export interface DeviceInfo {
  name?: string;
  manufacturer?: string;
  model?: string;
  hardware?: string;
}

// A value runs to the next `, key:` (hardware values hold commas: `Watch6,2`) or the closing `>`.
const FIELD = /(?:^|,)\s*(name|manufacturer|model|hardware):(.*?)(?=,\s*[A-Za-z][A-Za-z ]*:|>?$)/g;

export function parseDevice(device: string | undefined): DeviceInfo {
  const out: DeviceInfo = {};
  if (!device) return out;
  for (const m of device.matchAll(FIELD)) {
    const value = m[2]?.trim();
    if (value) out[m[1] as keyof DeviceInfo] = value;
  }
  return out;
}

export const RANK_USER_ENTERED = 0;
export const RANK_WATCH = 1;
export const RANK_PHONE = 2;
export const RANK_OTHER = 3;

/**
 * The Health app's default order (support.apple.com HT204351): what the person typed in, then
 * Apple Watch, then iPhone, then other apps and devices.
 */
export function sourceRank(s: { userEntered: boolean; sourceName: string } & DeviceInfo): number {
  if (s.userEntered) return RANK_USER_ENTERED;
  const text = `${s.model ?? ''} ${s.hardware ?? ''}`;
  if (/watch/i.test(text)) return RANK_WATCH;
  if (/iphone/i.test(text)) return RANK_PHONE;
  if (!s.model && !s.hardware) {
    if (/watch/i.test(s.sourceName)) return RANK_WATCH;
    if (/iphone/i.test(s.sourceName)) return RANK_PHONE;
  }
  return RANK_OTHER;
}
