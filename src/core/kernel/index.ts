export * from './kernelSession';
export * from './kernelWire';
export * from './startKernel';
