// The registry port's provider side: the interface lives with the other ports (operations/ports.ts).
export type { RecordPatch, Registry } from '../operations/ports.js';

export class RegistryReadOnlyError extends Error {}
