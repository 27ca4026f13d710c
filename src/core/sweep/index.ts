export * from './matrix';
export * from './sweepFile';
export * from './metrics';
export * from './scheduler';
export * from './folders';
export * from './results';
export * from './workspaceImages';
