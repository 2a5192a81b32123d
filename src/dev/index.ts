/** The embedded demo stack behind `rollgate dev`, reusable from tests, drills and the engine. */
export * from './stack';
export { DevDeployment, apiError, type ApiResult } from './deploymentState';
export { ModelSimulator, durationBuckets, type ActiveFault, type FaultSpec, type Prediction } from './simulator';
export { startLoadGenerator, type LoadGenerator, type LoadStats } from './loadGenerator';
export { startDevServer, type DevServer, type DevServerOptions } from './server';
export { findPrometheusOnPath, freePort, installPrometheusHint, scrapeJob, startPrometheus, type PrometheusProcess, type PrometheusStartOptions } from './prometheusProcess';
