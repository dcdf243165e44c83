// What the operations layer asks of the supervisor; the interface lives with the other ports (operations/ports.ts).
export type { ServiceControl } from '../operations/ports.js';
