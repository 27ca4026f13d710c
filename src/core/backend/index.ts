export * from './backend';
export * from './registry';
export * from './docker/capacity';
export * from './docker/hostConfig';
export * from './docker/dockerDaemonBackend';
export * from './swarm/swarmPlacement';
export * from './swarm/swarmBackend';
