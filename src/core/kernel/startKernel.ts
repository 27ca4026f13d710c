import type { ExecutionBackend } from '../backend/backend';
import type { RunHooks } from '../run/runRecipe';
import type { KernelRequest, KernelSession } from './kernelSession';

/** Placeholder until the kernel run lands (the contract's signature; the notebook host codes against it). */
export function startKernel(backend: ExecutionBackend, req: KernelRequest, hooks: RunHooks): Promise<KernelSession> {
  void backend;
  void req;
  void hooks;
  return Promise.reject(new Error('Notebook kernels are not implemented yet.'));
}
