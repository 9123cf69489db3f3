// An independent judge of JavaScript for the tests: acorn parses each script fully (so it
// knows a regex from a division as a parser does) and reports where its strings, template
// chunks, regular expressions and comments lie, and a syntax tree without positions.
// Input on stdin: JSON [{"code": ..., "module": bool}]. Output on stdout: JSON list of
// {"error": msg|null, "spans": [[start, end, kind], ...], "tree": string|null,
//  "specifiers": [[start, end, value], ...]} (string module specifiers of import, export
//  ... from and import(), without their quotes).
// kind: "string", "template" (from a backtick or a substitution's "}" to the next "${" or
// backtick, both included), "regex", "comment". Needs acorn (tests/thirdparty/package.json).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(process.env.ORACLE_NODE_MODULES + '/');
const acorn = require('acorn');

function strip(node) {
  // The tree as JSON without positions or raw texts, so two spellings of one program match.
  return JSON.stringify(node, function (key, value) {
    if (['start', 'end', 'loc', 'range'].includes(key)) return undefined;
    if (key === 'raw' && this.type === 'Literal') return undefined;  // 'a' and "a" alike
    return typeof value === 'bigint' ? `${value}n` : value;
  });
}

function specifiers(tree) {
  // Every string source of ImportDeclaration, Export*Declaration and ImportExpression.
  const found = [];
  (function visit(node) {
    if (!node || typeof node.type !== 'string') return;
    const source = ['ImportDeclaration', 'ExportNamedDeclaration', 'ExportAllDeclaration',
      'ImportExpression'].includes(node.type) ? node.source : null;
    if (source && source.type === 'Literal' && typeof source.value === 'string') {
      found.push([source.start + 1, source.end - 1, source.value]);
    }
    for (const value of Object.values(node)) {
      if (Array.isArray(value)) value.forEach(visit);
      else if (value && typeof value === 'object') visit(value);
    }
  })(tree);
  return found.sort((a, b) => a[0] - b[0]);
}

function judge({ code, module }) {
  const tokens = [];
  const spans = [];
  let tree;
  try {
    tree = acorn.parse(code, {
      ecmaVersion: 'latest',
      sourceType: module ? 'module' : 'script',
      allowHashBang: true,
      onToken: tokens,
      onComment: (block, text, start, end) => spans.push([start, end, 'comment']),
    });
  } catch (err) {
    return { error: `${err.name}: ${err.message}`, spans: [], tree: null };
  }
  tokens.forEach((tok, i) => {
    const label = tok.type.label;
    if (label === 'string') spans.push([tok.start, tok.end, 'string']);
    else if (label === 'regexp') spans.push([tok.start, tok.end, 'regex']);
    else if (label === 'template') spans.push([tokens[i - 1].start, tokens[i + 1].end, 'template']);
  });
  spans.sort((a, b) => a[0] - b[0]);
  return { error: null, spans, tree: strip(tree), specifiers: specifiers(tree) };
}

const input = JSON.parse(readFileSync(0, 'utf8'));
process.stdout.write(JSON.stringify(input.map(judge)));
