/**
 * A record without a prototype: a "__proto__" key read from JSON stays an ordinary key (and is then
 * reported as an unsupported parameter) instead of replacing the object's prototype.
 */
export const emptyRecord = (): Record<string, unknown> => Object.create(null) as Record<string, unknown>;
