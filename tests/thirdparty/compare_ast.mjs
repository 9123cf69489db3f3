// Compare the syntax tree of each compiled script with its original's, using acorn (an
// independent parser), and report the first difference. tests/test_real_packages.py runs it
// on every script of a release; run it by hand to check a compiler change:
//
//   echo '[{"original": "src/a.js", "compiled": "out/a.1f3a9c0d2b7e4a55.js", "module": true}]' \
//     | node tests/thirdparty/compare_ast.mjs
//
// Output on stdout: JSON [{original, compiled, module, status, ...}], one per input, with
// status "same" (trees equal), "different" (`difference`: where, the node types, both
// positions and source excerpts), "broken" (`error`: the compiled file no longer parses) or
// "unparsable" (`error`: the original does not parse as that kind; nothing to compare).
// "same" and "different" also list `specifiers`: every literal module specifier of the
// compiled file, as [kind, value], kind "url" for `new URL(..., import.meta.url)`.
// Positions, comments and whitespace are not part of a tree. The only string allowed to
// differ is a module specifier (`import`/`export ... from`, `import()`, and the first argument
// of `new URL(..., import.meta.url)`) rewritten to its fingerprinted name: after dropping the
// `.<hex>` before the extension, it must name the same path (query and fragment included);
// each one is listed in `rewritten`. Needs acorn from the corpus (.ci/setup.d/thirdparty.sh).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../.npm-corpus/package.json', import.meta.url));
const acorn = require('acorn');

const POSITION_KEYS = new Set(['start', 'end', 'range']);
const EXCERPT = 60;
// Deep enough that `../` in a specifier never climbs past the root and merges two paths.
const BASE = 'http://x/' + 'd/'.repeat(32);

function parse(code, module) {
  return acorn.parse(code, {
    ecmaVersion: 'latest',
    sourceType: module ? 'module' : 'script',
    allowHashBang: true,
  });
}

// Nodes whose `source` (or first argument) is a module specifier the compiler may rewrite.
function specifierOf(node) {
  if (!node || typeof node !== 'object') return null;
  switch (node.type) {
    case 'ImportDeclaration':
    case 'ExportNamedDeclaration':
    case 'ExportAllDeclaration':
    case 'ImportExpression':
      return node.source && node.source.type === 'Literal' ? node.source : null;
    case 'NewExpression': {
      const [first, second] = node.arguments;
      const isMetaUrl = second && second.type === 'MemberExpression' && !second.computed
        && second.object.type === 'MetaProperty' && second.object.meta.name === 'import'
        && second.property.name === 'url';
      const isUrl = node.callee.type === 'Identifier' && node.callee.name === 'URL';
      return isUrl && isMetaUrl && first.type === 'Literal' ? first : null;
    }
    default:
      return null;
  }
}

// Every literal module specifier of a tree, as [kind, value]: kind "url" for the first
// argument of `new URL(..., import.meta.url)`, "import" for the others.
function specifiers(tree) {
  const found = [];
  (function walk(node) {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(walk);
    const literal = specifierOf(node);
    if (literal && typeof literal.value === 'string') found.push([node.type === 'NewExpression' ? 'url' : 'import', literal.value]);
    for (const key in node) if (!POSITION_KEYS.has(key)) walk(node[key]);
  })(tree);
  return found;
}

function unfingerprinted(specifier) {
  const url = new URL(specifier, BASE);
  url.pathname = url.pathname.replace(/\.[0-9a-f]{8,64}(\.[^./]+)$/, '$1');
  return url.href;
}

function sameTarget(original, compiled) {
  if (typeof original !== 'string' || typeof compiled !== 'string') return false;
  try {
    return new URL(original, BASE).href === unfingerprinted(compiled);
  } catch {
    return false;
  }
}

function excerpt(code, node) {
  if (!node || typeof node.start !== 'number') return null;
  return code.slice(node.start, Math.min(node.end, node.start + EXCERPT));
}

// line:column (1-based line, 0-based column, as acorn counts) of a node's start.
function where(code, node) {
  if (!node || typeof node.start !== 'number') return null;
  const before = code.slice(0, node.start);
  const lineStart = before.lastIndexOf('\n') + 1;
  return `${before.split('\n').length}:${node.start - lineStart}`;
}

function describe(value) {
  if (value && typeof value === 'object') return value.type || (Array.isArray(value) ? `array[${value.length}]` : 'object');
  return JSON.stringify(value);
}

// Walk both trees in step. Returns null when equal, else the first difference found
// depth-first (source order), with the innermost nodes that hold it.
function compare(a, b, path, context) {
  const { rewritten } = context;
  if (a === b) return null;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    return { path, original: describe(a), compiled: describe(b) };
  }
  if (Array.isArray(a) !== Array.isArray(b)) return { path, original: describe(a), compiled: describe(b) };
  if (Array.isArray(a)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      if (i >= a.length || i >= b.length) return { path: `${path}[${i}]`, original: describe(a[i]), compiled: describe(b[i]) };
      const diff = compare(a[i], b[i], `${path}[${i}]`, context);
      if (diff) return diff;
    }
    return null;
  }
  if (a.type !== b.type) return { path, original: describe(a), compiled: describe(b), nodes: [a, b] };
  const specA = specifierOf(a);
  const specB = specifierOf(b);
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) {
    if (POSITION_KEYS.has(key)) continue;
    const childA = a[key];
    const childB = b[key];
    if (specA && specB && (childA === specA || (key === 'arguments' && childA[0] === specA))) {
      if (specA.value !== specB.value) {
        if (!sameTarget(specA.value, specB.value)) {
          return { path: `${path}.${key}`, original: JSON.stringify(specA.value), compiled: JSON.stringify(specB.value), nodes: [specA, specB] };
        }
        rewritten.push([specA.value, specB.value]);
        if (key === 'arguments') {
          const diff = compare(childA.slice(1), childB.slice(1), `${path}.${key}[1:]`, context);
          if (diff) return diff;
        }
        continue;
      }
    }
    const diff = compare(childA, childB, `${path}.${key}`, context);
    if (diff) return diff.nodes ? diff : { ...diff, nodes: [a, b] };
  }
  return null;
}

function check({ original, compiled, module }) {
  const result = { original, compiled, module };
  const sourceA = readFileSync(original, 'utf8');
  const sourceB = readFileSync(compiled, 'utf8');
  // A file kept byte for byte (*.min.js) with no possible specifier: nothing to parse.
  if (sourceA === sourceB && !/import|URL/.test(sourceA)) return { ...result, status: 'same', rewritten: [], specifiers: [] };
  let treeA;
  try {
    treeA = parse(sourceA, module);
  } catch (err) {
    return { ...result, status: 'unparsable', error: `${err.message}` };
  }
  let treeB;
  try {
    treeB = parse(sourceB, module);
  } catch (err) {
    return { ...result, status: 'broken', error: `${err.message}`, excerpt: sourceB.slice(Math.max(0, err.pos - EXCERPT / 2), err.pos + EXCERPT / 2) };
  }
  const rewritten = [];
  const diff = compare(treeA, treeB, 'Program', { rewritten });
  if (!diff) return { ...result, status: 'same', rewritten, specifiers: specifiers(treeB) };
  const [nodeA, nodeB] = diff.nodes || [];
  return {
    ...result,
    status: 'different',
    specifiers: specifiers(treeB),
    difference: {
      path: diff.path,
      original: diff.original,
      compiled: diff.compiled,
      original_at: where(sourceA, nodeA),
      compiled_at: where(sourceB, nodeB),
      original_excerpt: excerpt(sourceA, nodeA),
      compiled_excerpt: excerpt(sourceB, nodeB),
    },
  };
}

const files = JSON.parse(readFileSync(0, 'utf8'));
process.stdout.write(JSON.stringify(files.map(check)));
