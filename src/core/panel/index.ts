export * from './protocol';
export * from './validate';
export * from './model';
export * from './throttle';
export * from './flags';
export * from './live';
export * from './chart';
