// Import ES modules in node and report what each exports. tests/test_real_packages.py runs
// it on a package's original modules and on the compiled ones and compares the two reports.
//
//   echo '["/abs/path/a.js", ...]' | node --experimental-detect-module module_exports.mjs
//
// Output on stdout: JSON {path: {"exports": {name: typeof value}} | {"error": "Name: message"}}.
// Modules are imported one after another in the order given, in one process, as a page
// would load them; many need a browser (window, document) and fail the same way both times.
// A module that has not settled after TIMEOUT_MS counts as an error.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const TIMEOUT_MS = 10_000;

// Modules may print (Vue's development build does): keep stdout for the report alone.
const writeReport = process.stdout.write.bind(process.stdout);
process.stdout.write = (chunk, ...rest) => process.stderr.write(chunk, ...rest);

// Errors thrown later by timers or promises a module started belong to no import: ignore them.
process.on('uncaughtException', () => {});
process.on('unhandledRejection', () => {});

function settle(promise) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not settle in ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const report = {};
for (const path of JSON.parse(readFileSync(0, 'utf8'))) {
  try {
    const namespace = await settle(import(pathToFileURL(path).href));
    const exports = {};
    for (const name of Object.keys(namespace).sort()) {
      let value;
      try {
        value = namespace[name];
      } catch {
        value = undefined;  // an export still in its temporal dead zone (an import cycle)
      }
      exports[name] = typeof value;
    }
    report[path] = { exports };
  } catch (err) {
    report[path] = { error: `${err && err.name}: ${err && err.message}` };
  }
}
writeReport(JSON.stringify(report), () => process.exit(0));
