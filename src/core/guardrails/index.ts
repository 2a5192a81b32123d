export * from './placeholders';
export * from './evaluate';
export * from './tracker';
export * from './judge';
export * from './mannWhitney';
export * from './psi';
export * from './jensenShannon';
export * from './calibration';
export { parseLabelMatchers, type LabelMatcher } from './selector';
