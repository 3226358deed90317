// A pass over a safetensors header's JSON text before JSON.parse: JSON.parse recurses (a deeply nested header
// overflows the stack) and keeps the last of two equal keys (a tensor named twice would silently be the later one).

/** Deeper than any valid header: the object, a tensor entry, its shape / offsets array. */
export const MAX_HEADER_DEPTH = 8;

/** The first problem found (nesting too deep, or a top-level key given twice), or null. */
export function headerTextProblem(text: string): string | null {
  const keys = new Set<string>();
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') {
      const end = stringEnd(text, i);
      if (end < 0) return null; // unterminated: JSON.parse reports it
      if (depth === 1 && expectKey) {
        let key: string;
        try {
          key = JSON.parse(text.slice(i, end + 1));
        } catch {
          return null;
        }
        if (keys.has(key)) return `tensor "${key}" appears twice in the header`;
        keys.add(key);
        expectKey = false;
      }
      i = end;
    } else if (ch === '{' || ch === '[') {
      depth++;
      if (depth > MAX_HEADER_DEPTH) return `header is nested more than ${MAX_HEADER_DEPTH} levels deep (not a safetensors header)`;
      expectKey = depth === 1 && ch === '{';
    } else if (ch === '}' || ch === ']') {
      depth--;
    } else if (ch === ',' && depth === 1) {
      expectKey = true;
    }
  }
  return null;
}

/** Index of the quote closing the string that opens at `start`, or -1. */
function stringEnd(text: string, start: number): number {
  for (let j = start + 1; j < text.length; j++) {
    if (text[j] === '\\') j++;
    else if (text[j] === '"') return j;
  }
  return -1;
}
