/**
 * A benchmark knob from the environment: `fallback` when unset or empty, otherwise a number of
 * at least `min` (an integer when asked), or a clear error naming the variable.
 */
export function envNumber(
  name: string,
  fallback: number,
  { min = 0, integer = false }: { min?: number; integer?: boolean } = {},
): number {
  const v = process.env[name];
  const n = v === undefined || v === '' ? fallback : Number(v);
  if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
    throw new Error(`${name} must be ${integer ? 'an integer' : 'a number'} of at least ${min}`);
  }
  return n;
}
