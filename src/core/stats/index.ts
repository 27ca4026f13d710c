// A run's resource use: the Engine's stats stream sampled as `docker stats` computes it, peaks and a bounded series.
export * from './engineStats';
export * from './usage';
export * from './usageSummary';
export * from './sampler';
export * from './statsLog';
export * from './usageRecording';
export * from './rightSizing';
export * from './daemonUsage';
