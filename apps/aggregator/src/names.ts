/**
 * Pure checks of the names the aggregator routes by. A node name is only ever a key into the set
 * of discovered collectors: it is validated so malformed input fails early and loudly (400), and
 * it never becomes part of a URL.
 */

/** Longest Kubernetes object name (a DNS-1123 subdomain). */
export const MAX_NODE_NAME_LENGTH = 253;

const DNS1123_LABEL = '[a-z0-9](?:[-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN = new RegExp(`^${DNS1123_LABEL}(?:\\.${DNS1123_LABEL})*$`);

/** True for a valid Kubernetes node name: a DNS-1123 subdomain of at most 253 characters. */
export function isValidNodeName(name: string): boolean {
  return (
    name.length > 0 &&
    name.length <= MAX_NODE_NAME_LENGTH &&
    DNS1123_SUBDOMAIN.test(name) &&
    name.split('.').every((label) => label.length <= 63)
  );
}

/** True for a DNS-1123 label (a namespace name): at most 63 characters. */
export function isValidNamespace(name: string): boolean {
  return name.length > 0 && name.length <= 63 && new RegExp(`^${DNS1123_LABEL}$`).test(name);
}

const LABEL_NAME = '[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?';
const LABEL_KEY = new RegExp(`^(?:${DNS1123_LABEL}(?:\\.${DNS1123_LABEL})*/)?${LABEL_NAME}$`);
const LABEL_VALUE = new RegExp(`^(?:${LABEL_NAME})?$`);

function isLabelKey(key: string): boolean {
  const slash = key.indexOf('/');
  return LABEL_KEY.test(key) && (slash < 0 || slash <= MAX_NODE_NAME_LENGTH);
}

/** Splits at commas outside parentheses (`a in (x,y),b` is two requirements). */
function requirements(selector: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(current.trim());
      current = '';
    } else current += ch;
  }
  out.push(current.trim());
  return out;
}

/**
 * Checks a Kubernetes label selector (`k=v`, `k==v`, `k!=v`, `k`, `!k`, `k in (a,b)`,
 * `k notin (a,b)`, comma-separated). Returns the problem, or undefined when it is valid.
 */
export function labelSelectorProblem(selector: string): string | undefined {
  if (selector.trim() === '') return 'empty selector';
  for (const req of requirements(selector)) {
    if (req === '') return 'empty requirement';
    let m: RegExpExecArray | null;
    if ((m = /^(\S+?)\s*(==|!=|=)\s*(\S*)$/.exec(req))) {
      if (!isLabelKey(m[1])) return `invalid label key "${m[1]}"`;
      if (!LABEL_VALUE.test(m[3])) return `invalid label value "${m[3]}"`;
    } else if ((m = /^(\S+)\s+(in|notin)\s*\(([^()]*)\)$/.exec(req))) {
      if (!isLabelKey(m[1])) return `invalid label key "${m[1]}"`;
      const values = m[3].split(',').map((v) => v.trim());
      const bad = values.find((v) => !LABEL_VALUE.test(v));
      if (bad !== undefined) return `invalid label value "${bad}"`;
    } else if ((m = /^!?\s*(\S+)$/.exec(req))) {
      if (!isLabelKey(m[1])) return `invalid label key "${m[1]}"`;
    } else {
      return `cannot parse "${req}"`;
    }
  }
  return undefined;
}
