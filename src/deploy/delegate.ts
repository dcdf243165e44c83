// An object that answers as `inner` does (methods bound to it, members added later included) except for `own`.
export function delegate<T extends object>(inner: T, own: Partial<T>): T {
  return new Proxy(inner, {
    get(target, prop) {
      if (Object.prototype.hasOwnProperty.call(own, prop)) return (own as Record<PropertyKey, unknown>)[prop];
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
