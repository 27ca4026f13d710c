import { checkbox, el, row, text } from '../dom';

/** The image and the build options the form edits (the others stay as stored). */
export function imageSection(): HTMLElement[] {
  return [
    el('h2', {}, 'Image and registry'),
    row('Base image', 'baseImage', text('empty = the base image Container Exec builds')),
    row(
      'Debugging',
      'debugpy',
      checkbox('Add debugpy to the base image (build.debugpy)'),
      "Debug Recipe needs it: the built image's Dockerfile installs Debian's python3-debugpy when the image lacks it",
    ),
    row(
      'Notebooks',
      'jupyter',
      checkbox('Add Jupyter kernel support (build.jupyter)'),
      "Notebook kernels need ipykernel: installed with pip, else Debian's python3-ipykernel",
    ),
  ];
}
