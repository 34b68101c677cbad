// Notification subscriptions and deliveries of the Withings emulator.

export interface Subscription {
  clientId: string;
  personId: string;
  userid: number;
  appli: number;
  /** Exactly as registered (query string included); deliveries go to this string. */
  callbackurl: string;
  comment: string;
  /** Failed tries in a row (for the optional removal rule). */
  failuresInARow: number;
}

export interface WithingsDeliveryAttempt {
  /** Sandbox clock (epoch ms) when the try was made. */
  at: number;
  /** HTTP status the callback answered, when it answered. */
  status?: number;
  error?: string;
}

export interface WithingsDelivery {
  id: string;
  personId: string;
  userid: number;
  clientId: string;
  appli: number;
  callbackurl: string;
  /** The form-encoded body POSTed (userid, appli, then startdate/enddate, date or action). */
  body: string;
  state: 'pending' | 'delivered' | 'failed';
  attempts: WithingsDeliveryAttempt[];
  /** Cycles started (each has up to two tries). */
  cycles: number;
  createdAt: number;
  /** Set on a replayed duplicate: the delivery it repeats. */
  duplicateOf?: string;
}
