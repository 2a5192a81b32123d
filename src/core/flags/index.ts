/**
 * Feature flags that move with a rollout: the provider seam (`provider.ts`), one file per flag
 * service (`unleash.ts`), and the factory that picks one from a plan's `endpoints.flags`.
 */
export * from './provider';
export * from './capabilities';
export * from './providers';
export { UnleashFlagProvider, UNLEASH_ROLLOUT_STRATEGY, ROLLGATE_STRATEGY_TITLE, percentageRules, type UnleashProviderOptions } from './unleash';
export * from './changes';
export * from './rolloutFlags';
export * from './recorded';
export * from './dryRun';
export * from './describe';
