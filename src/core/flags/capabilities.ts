import type { FlagProviderCapabilities } from './provider';

/**
 * What each flag provider can do, by `endpoints.flags.type`. The plan validator reads it to
 * refuse, at the stage that needs it, what the plan's provider cannot do; each provider's class
 * reports the same entry.
 */
export const flagProviderCapabilities = {
  // Unleash's `flexibleRollout` takes the percentage as text its SDKs read as a whole number.
  unleash: { percentageRollout: true, percentStep: 1 },
} as const satisfies Record<string, FlagProviderCapabilities>;

/** A flag provider type Rollgate knows. */
export type FlagProviderType = keyof typeof flagProviderCapabilities;
