import yaml from 'js-yaml';

/** Where a YAML node starts, 1-based, with its children for mappings and sequences. */
export interface NodePosition {
  line: number;
  column: number;
  result?: unknown;
  keys?: Map<string, { key: NodePosition; value: NodePosition }>;
  items?: NodePosition[];
}

interface Frame {
  position: NodePosition;
  children: NodePosition[];
}

interface ListenerState {
  position: number;
  line: number;
  lineStart: number;
  result: unknown;
}

const isContainer = (value: unknown): value is object => typeof value === 'object' && value !== null;

/**
 * Parses YAML with js-yaml and records where every node starts, from js-yaml's
 * open/close listener events: a mapping's direct children arrive as key, value,
 * key, value; a sequence's as its items. Lets validation errors name a line.
 */
export function parseWithPositions(source: string, filename: string): { value: unknown; root: NodePosition | undefined } {
  const stack: Frame[] = [];
  let root: NodePosition | undefined;
  const value = yaml.load(source, {
    filename,
    listener(event: 'open' | 'close', state: ListenerState) {
      if (event === 'open') {
        // A value's node opens at the space after its key's colon; point at the value itself.
        let at = state.position;
        while (source[at] === ' ' || source[at] === '\t') at++;
        stack.push({ position: { line: state.line + 1, column: at - state.lineStart + 1 }, children: [] });
        return;
      }
      const frame = stack.pop();
      if (!frame) return;
      const node = frame.position;
      node.result = state.result;
      const [only] = frame.children;
      if (isContainer(state.result) && frame.children.length === 1 && only?.result === state.result) {
        // js-yaml wraps some nodes (a flow mapping inside a block sequence) in a second node with the same result.
        node.keys = only.keys;
        node.items = only.items;
      } else if (Array.isArray(state.result)) {
        node.items = frame.children;
      } else if (isContainer(state.result)) {
        node.keys = new Map();
        for (let i = 0; i + 1 < frame.children.length; i += 2) {
          node.keys.set(String(frame.children[i]!.result), { key: frame.children[i]!, value: frame.children[i + 1]! });
        }
      }
      const parent = stack[stack.length - 1];
      if (parent) parent.children.push(node);
      else root = node;
    },
  } as yaml.LoadOptions);
  return { value, root };
}

/**
 * The position of the node at `path` (or of its key, for errors about the key
 * itself); the deepest existing ancestor when the path does not exist.
 */
export function locate(root: NodePosition | undefined, path: (string | number)[], preferKey = false): { line: number; column: number } {
  let node = root;
  let best = root;
  for (let i = 0; i < path.length && node; i++) {
    const segment = path[i]!;
    const entry = node.keys?.get(String(segment));
    if (entry) {
      if (i === path.length - 1 && preferKey) return { line: entry.key.line, column: entry.key.column };
      // A mapping or sequence value starts after its key's line end: its key is the better place to point at.
      best = entry.value.keys || entry.value.items ? entry.key : entry.value;
      node = entry.value;
    } else if (typeof segment === 'number' && node.items?.[segment]) {
      node = node.items[segment];
      best = node;
    } else {
      break;
    }
  }
  return { line: best?.line ?? 1, column: best?.column ?? 1 };
}
