/** A code list as a set of codes, written as whitespace-separated text. */
export function codeList(codes: string): ReadonlySet<string> {
  return new Set(codes.trim().split(/\s+/));
}

/** ISO/IEC 6523 ICD codes are assigned as a contiguous numeric range ("0002" .. the newest). */
export function numericRange(from: number, to: number): ReadonlySet<string> {
  const out = new Set<string>();
  for (let n = from; n <= to; n++) out.add(String(n).padStart(4, '0'));
  return out;
}
