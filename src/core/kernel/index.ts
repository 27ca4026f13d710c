export * from './kernelSession';
export * from './startKernel';
