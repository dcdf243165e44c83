// ServiceView with `version` (CONTRACT section 13): the supervisor's view plus the version the service runs.
import type { ServiceRecord, ServiceView } from '../model.js';
import type { ServiceControl } from '../supervisor/service-control.js';
import { delegate } from './delegate.js';

export function withVersions(inner: ServiceControl, versionOf: (name: string) => string | undefined): ServiceControl {
  return delegate(inner, {
    view: (record: ServiceRecord): ServiceView => {
      const view = inner.view(record);
      const version = versionOf(record.name);
      return version === undefined ? view : { ...view, version };
    },
  });
}
