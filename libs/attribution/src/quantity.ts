/**
 * Kubernetes resource quantities (k8s.io/apimachinery resource.Quantity): a decimal number with
 * a binary suffix (Ki Mi Gi Ti Pi Ei), a decimal suffix (n u m "" k M G T P E) or an exponent
 * (e3, E-2). `512Mi`, `2Gi`, `1G`, `1e9`, `1.5Gi`, `100m`.
 */
const BINARY: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const DECIMAL: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};

/**
 * The value of a quantity, rounded up to a whole unit as Kubernetes' Quantity.Value() does (a
 * memory limit of `100m` bytes is 1 byte). Undefined when it is not a quantity.
 */
export function parseQuantity(text: string): number | undefined {
  const m =
    /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei)|([eE][+-]?\d+)|([numkMGTPE]?))$/.exec(
      text.trim(),
    );
  if (!m) return undefined;
  const sign = m[1] === '-' ? -1 : 1;
  const number = Number(m[2]);
  let value: number;
  if (m[3]) value = number * BINARY[m[3]];
  else if (m[4]) value = number * 10 ** Number(m[4].slice(1));
  else value = number * 10 ** DECIMAL[m[5] ?? ''];
  if (!Number.isFinite(value)) return undefined;
  // Floating-point noise ("0.3G" is 300000000.00000006) is not a fraction to round up.
  const nearest = Math.round(value);
  const whole = Math.abs(value - nearest) <= Math.abs(value) * 1e-12 ? nearest : Math.ceil(value);
  return sign * whole;
}
