// Parse scripts with node's own parser (V8) and report, for each file, whether it parses and
// which static module specifiers it has. Input on stdin: JSON [{"path": ..., "module": bool}].
// Output on stdout: JSON {path: {"script": error|null, "module": error|null, "specifiers": [...]}}.
// Nothing is evaluated. Needs `node --experimental-vm-modules`.
import { readFileSync } from 'node:fs';
import vm from 'node:vm';

function parse(make) {
  try {
    return [make(), null];
  } catch (err) {
    return [null, `${err.name}: ${err.message}`];
  }
}

const files = JSON.parse(readFileSync(0, 'utf8'));
const report = {};
for (const { path, module } of files) {
  const code = readFileSync(path, 'utf8');
  const entry = { script: null, module: null, specifiers: [] };
  if (!module) {
    entry.script = parse(() => new vm.Script(code, { filename: path }))[1];
  }
  if (module || entry.script !== null) {
    const [mod, error] = parse(() => new vm.SourceTextModule(code, { identifier: path }));
    entry.module = error;
    if (mod) entry.specifiers = mod.dependencySpecifiers;
  }
  report[path] = entry;
}
process.stdout.write(JSON.stringify(report));
