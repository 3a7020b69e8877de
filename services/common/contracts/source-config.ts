/** A configured sender: written by the admin (or a sources file), read by ingress and the validator. */

/** A configured sender: `POST /webhooks/{id}`. Two Stripe accounts are two sources. */
export interface SourceConfig {
  readonly id: string;
  /** Provider module name, e.g. "stripe", "github", "generic-hmac". */
  readonly provider: string;
  /** All accepted at once, for rotation. Never logged. */
  readonly secrets: readonly string[];
  readonly options: SourceOptions;
}

export interface SourceOptions {
  /** Timestamp tolerance for schemes that sign a timestamp; both directions. Default 300 s. */
  readonly toleranceSeconds?: number;
  /** IPs or CIDRs allowed to post; empty/undefined = any. */
  readonly allowedIps?: readonly string[];
  /** Max body bytes; default 1 MiB. */
  readonly bodyLimitBytes?: number;
  /** Requests per second (token bucket in Redis); undefined = unlimited. */
  readonly rateLimitPerSecond?: number;
  /** Public URL the platform posts to (Twilio signs the URL; behind a proxy it differs from ours). */
  readonly publicUrl?: string;
  /** Provider-duplicate window in seconds; default is the provider's retry window. */
  readonly idempotencyWindowSeconds?: number;
  /** Provider-specific settings (generic-hmac template, token location, org id, ...). */
  readonly [key: string]: unknown;
}

/**
 * What validating a source needs from its provider module: the part of ProviderModule that common
 * code may know about (common imports nothing from providers; the services pass the registry in).
 */
export interface SourceProvider {
  readonly name: string;
  /** False for platforms that sign nothing (token/IP schemes offered instead). */
  readonly signs: boolean;
  /** Problems with a source's options (required settings missing, bad values); empty = fine. */
  validateOptions?(options: Readonly<Record<string, unknown>>): string[];
}

/** The provider registry as common code sees it; unknown names → undefined (fail closed). */
export type ProviderLookup = (name: string) => SourceProvider | undefined;
