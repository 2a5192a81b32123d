/** The HAProxy deployment backend: its runtime API client and what the plan says about it. */
export * from './syntax';
export * from './address';
export * from './errors';
export * from './runtimeSocket';
export * from './serversState';
export * from './weights';
export * from './client';
export * from './traffic';
