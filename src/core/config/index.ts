export * from './units';
export * from './configurationSchema';
export * from './limits';
export * from './configurationSettings';
export * from './permissions';
