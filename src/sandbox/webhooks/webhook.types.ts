// Webhook subscribers, subscriptions and deliveries (docs/google-health.md §3.3, §8).

export interface SubscriberConfig {
  dataTypes: string[];
  subscriptionCreatePolicy: 'AUTOMATIC' | 'MANUAL';
}

export interface Subscriber {
  name: string;
  endpointUri: string;
  subscriberConfigs: SubscriberConfig[];
  /** The complete Authorization header value Google sends; never shown back. */
  secret?: string;
  state: 'UNVERIFIED' | 'ACTIVE' | 'INACTIVE';
  createTime: string;
  updateTime: string;
}

export interface Subscription {
  name: string;
  user: string;
  dataTypes: string[];
}

export interface DeliveryAttempt {
  at: string;
  status?: number;
  error?: string;
}

export interface Delivery {
  id: string;
  subscriber: string;
  personId: string;
  dataType: string;
  operation: 'UPSERT' | 'DELETE';
  body: string;
  state: 'pending' | 'delivered' | 'failed';
  attempts: DeliveryAttempt[];
  createdAt: number;
  nextAttemptAt?: number;
}

export interface NotifyInterval {
  /** RFC 3339 or epoch ms. */
  startTime: string | number;
  endTime: string | number;
}

export interface NotifyInput {
  personId: string;
  dataType: string;
  operation?: 'UPSERT' | 'DELETE';
  /** Either explicit intervals, or a local date (the whole day), default today so far. */
  intervals?: NotifyInterval[];
  date?: string;
}

export interface WebhookOptions {
  /** First retry delay; doubles each attempt up to one hour (default 1000 ms). */
  retryBaseMs?: number;
  /** Attempts before a delivery is dropped (default 12; Google keeps trying for 7 days). */
  maxAttempts?: number;
  /** NOTE: the guide shows one object, a live capture a JSON array (§8.4, §14.5); default 'array'. */
  bodyFormat?: 'object' | 'array';
}
