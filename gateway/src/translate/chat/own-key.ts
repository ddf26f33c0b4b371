/**
 * Sets an own, enumerable property. Keys come from caller JSON, where `__proto__` is an ordinary
 * key: plain assignment would change the object's prototype instead of adding the key.
 */
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
