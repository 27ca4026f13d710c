/** The core layer: talks to Docker and the file system, never to the VS Code API (a test enforces it). */
export * from './errors';
export * from './daemonDescription';
export * from './tlsMaterial';
export * from './engineTypes';
export * from './daemonClient';
export * from './localDaemon';
export * from './labels';
export * from './engineLists';
export * from './engineEvents';
export * from './dockerContexts';
export * from './daemonSettings';
export * from './emitter';
export * from './daemonHub';
export * from './engineActions';
export * from './settingsList';
export * from './config';
export * from './build';
