import type { ImageSummary } from '../engine/lists';
import { LABELS } from '../labels';

export type ImageFreshness = { state: 'missing' } | { state: 'current' } | { state: 'stale'; why: string };

/** Compares a built image's labels with the extension version and the options it would be built from now. */
export function imageFreshness(
  image: Pick<ImageSummary, 'labels'> | undefined,
  extensionVersion: string,
  optionsHash: string,
): ImageFreshness {
  if (!image) return { state: 'missing' };
  const version = image.labels[LABELS.version];
  if (version !== extensionVersion)
    return {
      state: 'stale',
      why: `built by Container Exec ${version ?? '(unknown)'}; this is ${extensionVersion}: rebuild after every upgrade`,
    };
  if (image.labels[LABELS.optionsHash] !== optionsHash) return { state: 'stale', why: 'its build options changed since it was built' };
  return { state: 'current' };
}
