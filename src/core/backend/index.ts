export * from './backend';
export * from './registry';
export * from './docker/capacity';
export * from './docker/hostConfig';
export * from './docker/dockerDaemonBackend';
export * from './pool/budget';
export * from './pool/placement';
export * from './pool/poolBackend';
