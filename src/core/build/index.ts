export * from './dockerfile';
export * from './buildContext';
export * from './buildImage';
export * from './staleness';
export * from './registry';
export * from './codeEnv';
