// The only place that sees dockerode's calls: typed Engine API functions over a DaemonClient.
export * from './containers';
export * from './images';
export * from './lists';
export * from './events';
export * from './swarm';
export * from './pool';
export * from './imageCopy';
