export * from './debugpy';
export * from './dap';
