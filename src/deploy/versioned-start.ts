// The start command of a deployed version: `{version}` replaced, a relative cwd taken inside the version directory.
import { isAbsolute, join } from 'node:path';
import type { StartSpec } from '../model.js';
import { versionDir } from './archive-install.js';
import type { Slot } from './deployment.js';

/** `slot` without a version is the registration's own start, unchanged. */
export function resolveStart(dataDir: string, name: string, registered: StartSpec | undefined, slot: Slot | undefined): StartSpec | undefined {
  const version = slot?.version;
  if (version === undefined) return registered;
  const template = slot?.template ?? registered;
  if (!template) return undefined;
  const dir = versionDir(dataDir, name, version);
  const fill = (s: string): string => s.split('{version}').join(version);
  const cwd = template.cwd === undefined ? dir : isAbsolute(template.cwd) ? fill(template.cwd) : join(dir, fill(template.cwd));
  const spec: StartSpec = { command: fill(template.command), cwd };
  if (template.args) spec.args = template.args.map(fill);
  if (template.env) spec.env = template.env;
  return spec;
}
