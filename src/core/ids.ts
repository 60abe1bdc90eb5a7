const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a UUID in canonical text form; every id in Doklad is one. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
