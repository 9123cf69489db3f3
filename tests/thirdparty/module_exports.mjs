// Import ES modules in node and report what each exports. tests/test_real_packages.py runs
// it on a package's original modules and on the compiled ones and compares the two reports.
//
//   echo '["/abs/root/a.js", ...]' | node module_exports.mjs /abs/root REPORT.json
//
// Writes REPORT.json: {path: {"exports": {name: typeof value}} | {"error": "Name: message"}}.
// Modules are imported one after another in the order given, in one process, as a page
// would load them; many need a browser (window, document) and fail the same way both times.
// As in a browser, every .js/.mjs file under ROOT is loaded as an ES module (node would take
// a .js file of a package without "type": "module" for CommonJS), whatever package.json says.
// A module that has not settled after TIMEOUT_MS counts as an error.
import { readFileSync, writeFileSync } from 'node:fs';
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';

const TIMEOUT_MS = 10_000;
// Command-line tools among the modules (marked's bin/) read argv and exit: leave them nothing.
const [root, reportPath] = process.argv.splice(2);
const exit = process.exit;
process.exit = (code) => {
  throw new Error(`process.exit(${code}) called`);
};

const hooks = `
let root;
export function initialize(data) { root = data.root; }
export async function load(url, context, next) {
  if (url.startsWith(root) && /\\.m?js$/.test(url)) {
    const { readFile } = await import('node:fs/promises');
    return { format: 'module', source: await readFile(new URL(url)), shortCircuit: true };
  }
  return next(url, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`, { data: { root: pathToFileURL(root).href + '/' } });

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
// A file, not stdout: modules print (Vue's development build does) and may leave work behind.
writeFileSync(reportPath, JSON.stringify(report));
exit(0);
