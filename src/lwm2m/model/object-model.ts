// The LwM2M object model as data, read from OMA DDF XML (objects/*.xml); no class per object.

export type ResourceType =
  | 'String'
  | 'Integer'
  | 'Unsigned Integer'
  | 'Float'
  | 'Boolean'
  | 'Opaque'
  | 'Time'
  | 'Objlnk'
  | 'Corelnk'
  /** Executable resources carry no value. */
  | 'none';

export const RESOURCE_TYPES: ReadonlySet<string> = new Set([
  'String',
  'Integer',
  'Unsigned Integer',
  'Float',
  'Boolean',
  'Opaque',
  'Time',
  'Objlnk',
  'Corelnk',
]);

export type Operation = 'R' | 'W' | 'E';

export interface ResourceModel {
  readonly id: number;
  readonly name: string;
  readonly operations: ReadonlySet<Operation>;
  readonly multiple: boolean;
  readonly mandatory: boolean;
  readonly type: ResourceType;
  readonly units: string;
}

export interface ObjectModel {
  readonly id: number;
  readonly name: string;
  readonly urn: string;
  readonly version: string;
  readonly lwm2mVersion: string;
  readonly multiple: boolean;
  readonly mandatory: boolean;
  readonly resources: ReadonlyMap<number, ResourceModel>;
}

export const isNumeric = (type: ResourceType): boolean =>
  type === 'Integer' || type === 'Unsigned Integer' || type === 'Float' || type === 'Time';

export const can = (resource: ResourceModel, op: Operation): boolean => resource.operations.has(op);

/** A resource's type by path ([object, instance, resource, ...]) in the models `modelOf` gives; a resource
 *  the models do not know, or one without a value type, has none. */
export const resourceTypeIn =
  (modelOf: (objectId: number) => ObjectModel | undefined) =>
  (path: readonly number[]): ResourceType | undefined => {
    const r = path.length >= 3 ? modelOf(path[0]!)?.resources.get(path[2]!) : undefined;
    return r && r.type !== 'none' ? r.type : undefined;
  };
