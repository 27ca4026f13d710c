export * from './units';
export * from './configurationSchema';
export * from './hostConfig';
export * from './capacity';
export * from './configurationSettings';
export * from './permissions';
