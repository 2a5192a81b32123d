/**
 * Clients for the two endpoints Rollgate talks to: the deployment endpoint (Rollgate's own
 * contract, docs/deployment-api.yaml) and the metric endpoint (the Prometheus HTTP API).
 */
export * from './errors';
export * from './http';
export * from './deployment';
export * from './prometheus';
export * from './prometheusCatalog';
