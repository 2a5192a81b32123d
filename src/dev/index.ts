/** The embedded demo stack behind `rollgate dev`, reusable from tests, drills and the engine. */
export * from './stack';
export { DevDeployment, apiError, type ApiResult } from './deploymentState';
export { ModelSimulator, durationBuckets, type ActiveFault, type FaultSpec, type Prediction } from './simulator';
export { startLoadGenerator, type LoadGenerator, type LoadStats } from './loadGenerator';
export { startDevServer, type DevServer, type DevServerOptions } from './server';
export { findPrometheusOnPath, freePort, installPrometheusHint, scrapeJob, startPrometheus, type PrometheusProcess, type PrometheusStartOptions } from './prometheusProcess';
export { findOnPath, startWatched, type WatchedProcess, type WatchedProcessOptions } from './watchedProcess';
export { findHaproxyOnPath, installHaproxyHint, startHaproxy, HaproxyPortInUseError, type HaproxyProcess, type HaproxyStartOptions } from './haproxyProcess';
export { startDevHaproxy, type DevHaproxy, type DevHaproxyOptions } from './devHaproxy';
export { startModelServers, type ModelServer, type ModelServers } from './modelServers';
export { devHaproxyConfig, devServerName, type DevHaproxyLayout } from './haproxyConfig';
