import { poolDescriptor } from './descriptor';
import { dockerPoolProvider } from './poolBackend';

/** The pool back-end kind as one export: its descriptor (pure, the webview's) and its provider factory (dockerode: host only). */
export const poolKind = { descriptor: poolDescriptor, provider: dockerPoolProvider };
