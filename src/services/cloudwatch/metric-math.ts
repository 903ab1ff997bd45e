import { cloudwatchErrors } from './errors.js';

/**
 * Metric math, the simple part: numbers, query ids, + - * /, parentheses, and SUM / AVG / MIN / MAX of one time
 * series (a scalar) or of a list [a, b, ...] of time series (a time series). Series are maps timestamp → value;
 * arithmetic between two series keeps the timestamps both have.
 */
export type Series = Map<number, number>;
export type MathValue = { kind: 'scalar'; value: number } | { kind: 'series'; points: Series } | { kind: 'list'; items: Series[] };

type Node =
  | { t: 'num'; v: number }
  | { t: 'id'; id: string }
  | { t: 'neg'; e: Node }
  | { t: 'bin'; op: string; l: Node; r: Node }
  | { t: 'call'; fn: string; args: Node[] }
  | { t: 'list'; items: Node[] };

const FUNCTIONS = ['SUM', 'AVG', 'MIN', 'MAX'];

function tokenize(expr: string): string[] {
  const tokens: string[] = [];
  const re = /\s*(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|[A-Za-z_][A-Za-z0-9_]*|[-+*/()[\],])/y;
  let pos = 0;
  while (pos < expr.length) {
    if (/^\s*$/.test(expr.slice(pos))) break;
    re.lastIndex = pos;
    const m = re.exec(expr);
    if (!m) throw cloudwatchErrors.expressionError(expr, `Unrecognized token at position ${pos + 1}`);
    tokens.push(m[1]);
    pos = re.lastIndex;
  }
  return tokens;
}

export function parseExpression(expr: string): Node {
  const tokens = tokenize(expr);
  let i = 0;
  const peek = () => tokens[i];
  const take = (want?: string) => {
    const tok = tokens[i];
    if (tok === undefined || (want !== undefined && tok !== want))
      throw cloudwatchErrors.expressionError(expr, want ? `expected '${want}'` : 'unexpected end');
    i++;
    return tok;
  };
  const sum = (): Node => {
    let node = product();
    while (peek() === '+' || peek() === '-') node = { t: 'bin', op: take(), l: node, r: product() };
    return node;
  };
  const product = (): Node => {
    let node = unary();
    while (peek() === '*' || peek() === '/') node = { t: 'bin', op: take(), l: node, r: unary() };
    return node;
  };
  const unary = (): Node => (peek() === '-' ? (take(), { t: 'neg', e: unary() }) : atom());
  const atom = (): Node => {
    const tok = take();
    if (/^\d/.test(tok)) return { t: 'num', v: Number(tok) };
    if (tok === '(') {
      const inner = sum();
      take(')');
      return inner;
    }
    if (tok === '[') {
      const items = [sum()];
      while (peek() === ',') items.push((take(), sum()));
      take(']');
      return { t: 'list', items };
    }
    if (/^[A-Za-z_]/.test(tok)) {
      if (peek() === '(') {
        if (!FUNCTIONS.includes(tok))
          throw cloudwatchErrors.expressionError(expr, `Unsupported function ${tok} (halo supports ${FUNCTIONS.join(', ')})`);
        take('(');
        const args = [sum()];
        while (peek() === ',') args.push((take(), sum()));
        take(')');
        return { t: 'call', fn: tok, args };
      }
      return { t: 'id', id: tok };
    }
    throw cloudwatchErrors.expressionError(expr, `Unexpected token '${tok}'`);
  };
  const node = sum();
  if (i < tokens.length) throw cloudwatchErrors.expressionError(expr, `Unexpected token '${tokens[i]}'`);
  return node;
}

/** The ids an expression reads. */
export function referencedIds(node: Node): string[] {
  switch (node.t) {
    case 'id':
      return [node.id];
    case 'neg':
      return referencedIds(node.e);
    case 'bin':
      return [...referencedIds(node.l), ...referencedIds(node.r)];
    case 'call':
      return node.args.flatMap(referencedIds);
    case 'list':
      return node.items.flatMap(referencedIds);
    default:
      return [];
  }
}

const apply = (op: string, a: number, b: number) => (op === '+' ? a + b : op === '-' ? a - b : op === '*' ? a * b : a / b);

function binary(op: string, l: MathValue, r: MathValue, expr: string): MathValue {
  if (l.kind === 'list' || r.kind === 'list')
    throw cloudwatchErrors.expressionError(expr, 'arithmetic on a list of time series is not supported');
  if (l.kind === 'scalar' && r.kind === 'scalar') return { kind: 'scalar', value: apply(op, l.value, r.value) };
  const out: Series = new Map();
  if (l.kind === 'series' && r.kind === 'series') {
    for (const [ts, a] of l.points) {
      const b = r.points.get(ts);
      if (b !== undefined) out.set(ts, apply(op, a, b));
    }
  } else if (l.kind === 'series' && r.kind === 'scalar') {
    for (const [ts, a] of l.points) out.set(ts, apply(op, a, r.value));
  } else if (l.kind === 'scalar' && r.kind === 'series') {
    for (const [ts, b] of r.points) out.set(ts, apply(op, l.value, b));
  }
  for (const [ts, v] of out) if (!Number.isFinite(v)) out.delete(ts);
  return { kind: 'series', points: out };
}

function reduce(fn: string, values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  switch (fn) {
    case 'SUM':
      return values.reduce((a, b) => a + b, 0);
    case 'AVG':
      return values.reduce((a, b) => a + b, 0) / values.length;
    case 'MIN':
      return Math.min(...values);
    default:
      return Math.max(...values);
  }
}

function call(fn: string, args: MathValue[], expr: string): MathValue {
  const series: Series[] = [];
  for (const a of args) {
    if (a.kind === 'list') series.push(...a.items);
    else if (a.kind === 'series') series.push(a.points);
    else throw cloudwatchErrors.expressionError(expr, `${fn} takes time series, not a number`);
  }
  if (args.length === 1 && args[0].kind === 'series') {
    const v = reduce(fn, [...args[0].points.values()]);
    return v === undefined ? { kind: 'series', points: new Map() } : { kind: 'scalar', value: v };
  }
  const stamps = new Set(series.flatMap((s) => [...s.keys()]));
  const out: Series = new Map();
  for (const ts of [...stamps].sort((a, b) => a - b)) {
    const v = reduce(
      fn,
      series.map((s) => s.get(ts)).filter((x): x is number => x !== undefined),
    );
    if (v !== undefined) out.set(ts, v);
  }
  return { kind: 'series', points: out };
}

export function evaluateExpression(node: Node, lookup: (id: string) => MathValue, expr: string): MathValue {
  const ev = (n: Node): MathValue => {
    switch (n.t) {
      case 'num':
        return { kind: 'scalar', value: n.v };
      case 'id':
        return lookup(n.id);
      case 'neg':
        return binary('*', { kind: 'scalar', value: -1 }, ev(n.e), expr);
      case 'bin':
        return binary(n.op, ev(n.l), ev(n.r), expr);
      case 'call':
        return call(n.fn, n.args.map(ev), expr);
      case 'list': {
        const items = n.items.map(ev).flatMap((v) => (v.kind === 'list' ? v.items : v.kind === 'series' ? [v.points] : []));
        return { kind: 'list', items };
      }
    }
  };
  return ev(node);
}
