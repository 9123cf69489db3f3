// Reads the source maps assetbuild writes with an independent consumer (mozilla's
// source-map) and checks them token by token. Prints one JSON object.
//
//   node check.mjs tokens FILE [words]
//     Every token of the compiled FILE (a name, number or keyword, or one other character;
//     not the text of fingerprinted URLs, nor the last line, which names the map) must map
//     to a position of its source (as the map's sourcesContent holds it) that starts with
//     the same text; "unmapped" counts those the map says have no source. With "words",
//     only names, numbers and keywords are checked (a map composed with a compiler's,
//     which maps little else, points the rest at the name before).
//   node check.mjs compare FILE PLAIN PLAIN_SOURCE INPUT_MAP
//     FILE's map was composed with INPUT_MAP (the source's own map). PLAIN is the same
//     file compiled without INPUT_MAP (its map points at the compiled source, named
//     PLAIN_SOURCE in it); source-map's applySourceMap() composes that one with INPUT_MAP.
//     Every token must map to the same place (same line, column and source text) in both.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(new URL("../.sourcemap-node/package.json", import.meta.url));
const { SourceMapConsumer, SourceMapGenerator } = require("source-map");

const TOKEN = /[\p{L}\p{N}_$]+|\S/gu;
const FINGERPRINTED = /[^\s"'()]*\.[0-9a-f]{16}\.[^\s"'()]*/g;

function compiled(file) {
  const text = readFileSync(file, "utf8");
  const cut = text.lastIndexOf("\n");
  const last = text.slice(cut + 1);
  const url = /sourceMappingURL=([^\s*]+)/.exec(last)[1];
  const map = JSON.parse(readFileSync(path.join(path.dirname(file), url), "utf8"));
  return { body: text.slice(0, cut), map };
}

const WORD = /^[\p{L}\p{N}_$]/u;

function* tokens(body, words = false) {
  const lines = body.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const skip = [...lines[i].matchAll(FINGERPRINTED)].map((m) => [m.index, m.index + m[0].length]);
    for (const m of lines[i].matchAll(TOKEN)) {
      if (!skip.some(([s, e]) => s <= m.index && m.index < e) && (!words || WORD.test(m[0]))) {
        yield { line: i + 1, column: m.index, text: m[0] };
      }
    }
  }
}

const sourceLines = new Map(); // consumer -> source -> its lines

function sourceLine(consumer, pos) {
  if (!sourceLines.has(consumer)) sourceLines.set(consumer, new Map());
  const known = sourceLines.get(consumer);
  if (!known.has(pos.source)) {
    const content = consumer.sourceContentFor(pos.source, true);
    known.set(pos.source, content === null ? null : content.split("\n"));
  }
  const lines = known.get(pos.source);
  return lines === null ? null : lines[pos.line - 1];
}

async function checkTokens(file, words) {
  const { body, map } = compiled(file);
  const failures = [];
  let checked = 0, unmapped = 0;
  await SourceMapConsumer.with(map, null, (consumer) => {
    for (const tok of tokens(body, words === "words")) {
      checked++;
      const pos = consumer.originalPositionFor(tok);
      if (pos.source === null) {
        unmapped++;
        continue;
      }
      const line = sourceLine(consumer, pos);
      if (line === null || !line.startsWith(tok.text, pos.column)) {
        failures.push({ ...tok, mapped: pos, found: line && line.slice(pos.column, pos.column + 20) });
      }
    }
  });
  return { checked, unmapped, failures: failures.slice(0, 10), failed: failures.length,
           sources: map.sources };
}

async function compare(file, plain, plainSource, inputMapFile) {
  const ours = compiled(file);
  const theirs = compiled(plain);
  if (ours.body !== theirs.body) throw new Error("the two compiled files differ");
  const inputMap = JSON.parse(readFileSync(inputMapFile, "utf8"));
  const generator = await SourceMapConsumer.with(theirs.map, null, (c) => SourceMapGenerator.fromSourceMap(c));
  await SourceMapConsumer.with(inputMap, null, (c) => generator.applySourceMap(c, plainSource));
  const failures = [];
  let checked = 0, composed = 0;
  await SourceMapConsumer.with(ours.map, null, (mine) =>
    SourceMapConsumer.with(generator.toJSON(), null, (lib) => {
      for (const tok of tokens(ours.body)) {
        checked++;
        const a = mine.originalPositionFor(tok);
        const b = lib.originalPositionFor(tok);
        // applySourceMap keeps a mapping into the compiled source where the input map has
        // none; the map written then says "no source" instead.
        const expected = b.source === plainSource ? null : b;
        const same = expected === null ? a.source === null
          : a.source !== null && a.line === b.line && a.column === b.column
            && sourceLine(mine, a) === sourceLine(lib, b);
        if (expected !== null) composed++;
        if (!same) failures.push({ ...tok, ours: a, expected });
      }
    }));
  return { checked, composed, failures: failures.slice(0, 10), failed: failures.length,
           sources: ours.map.sources };
}

const [mode, ...args] = process.argv.slice(2);
const result = mode === "tokens" ? await checkTokens(...args) : await compare(...args);
console.log(JSON.stringify(result));
