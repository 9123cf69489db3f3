// Load one library file and print, as JSON, its exported API shape and the results of
// calling a handful of its functions on fixed inputs. tests/test_minified_behaviour.py runs
// this on a package's original file and on the compiled (minified) one and compares.
//
//   node probe.mjs LIBRARY FILE
//
// Classic scripts (UMD builds) run as a browser would run them: as a script in a fresh
// global with a small fake `window`/`document`, and the library is read from the global it
// defines. ES modules are imported, so their whole import graph is loaded by node.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';

// Any property, call or `new` on a stub gives another stub: enough for libraries that touch
// the DOM while they load (feature tests), never used by the probes themselves.
function stub() {
  const target = function () {};
  return new Proxy(target, {
    get(t, key) {
      if (key === Symbol.toPrimitive) return () => '';
      if (typeof key === 'symbol') return undefined;
      if (key === 'nodeType') return 9;
      if (!(key in t)) t[key] = stub();
      return t[key];
    },
    apply: () => stub(),
    construct: () => stub(),
  });
}

function fakeWindow() {
  const win = {
    console, setTimeout, clearTimeout, Promise, Math, Date, JSON,
    navigator: { userAgent: 'node', platform: 'node', maxTouchPoints: 0 },
    location: { href: 'http://localhost/', protocol: 'http:', host: 'localhost' },
    screen: {}, devicePixelRatio: 1,
    addEventListener() {}, removeEventListener() {},
    getComputedStyle: () => ({}),
    document: stub(),
  };
  win.window = win;
  win.self = win;
  return win;
}

function runScript(file, globalName) {
  const context = vm.createContext(fakeWindow());
  vm.runInContext(readFileSync(file, 'utf8'), context, { filename: file });
  if (context[globalName] === undefined) throw new Error(`${file} did not define ${globalName}`);
  return context[globalName];
}

async function importModule(file) {
  return import(pathToFileURL(file).href);
}

// Names, types and arities of an object's properties: the API a page sees.
function shape(obj) {
  const out = {};
  for (const key of Object.getOwnPropertyNames(obj).sort()) {
    if (['caller', 'callee', 'arguments'].includes(key)) continue;
    let value;
    try { value = obj[key]; } catch { value = undefined; }
    out[key] = typeof value === 'function' ? `function/${value.length}` : typeof value;
  }
  return out;
}

// Stable JSON: functions as their type, numbers that JSON cannot hold as strings.
function plain(value, seen = new Set()) {
  if (typeof value === 'function') return `function/${value.length}`;
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (typeof value === 'bigint' || typeof value === 'symbol') return String(value);
  if (value instanceof RegExp) return String(value);
  if (value === undefined) return '<undefined>';
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '<cycle>';
  seen.add(value);
  let out;
  if (ArrayBuffer.isView(value)) out = Array.from(value);
  else if (Array.isArray(value)) out = value.map((v) => plain(v, seen));
  else {
    out = {};
    for (const key of Object.keys(value).sort()) out[key] = plain(value[key], seen);
  }
  seen.delete(value);
  return out;
}

function lodashProbe(_) {
  const tpl = _.template('hi <%= user %>! <% _.forEach(xs, function(x) { %><li><%- x %></li><% }); %> ${ n }');
  return {
    shape: shape(_),
    chunk: _.chunk([1, 2, 3, 4, 5], 2),
    template: tpl({ user: 'a&b', xs: ['<b>', "c'd"], n: 7, _ }),
    cases: ['Foo Bar', '--foo-bar--', '__FOO_BAR__', 'déjà vu', 'XMLHttpRequest2'].map((s) => [
      _.camelCase(s), _.kebabCase(s), _.snakeCase(s), _.startCase(s), _.deburr(s), _.words(s)]),
    escape: [_.escape('<a href="x">&</a>'), _.unescape('&lt;b&gt;&amp;&#39;'),
      _.escapeRegExp('[lodash](https://lodash.com/)')],
    path: [_.toPath('a[0].b["c.d"].e'), _.get({ a: [{ b: { 'c.d': { e: 5 } } }] }, 'a[0].b["c.d"].e'),
      _.set({}, 'x.y[2].z', 1)],
    collections: [
      _.sortBy([{ a: 3, b: 'x' }, { a: 1, b: 'y' }, { a: 2, b: 'z' }], ['a']),
      _.groupBy([6.1, 4.2, 6.3], Math.floor),
      _.orderBy([{ u: 'b', n: 1 }, { u: 'a', n: 2 }, { u: 'b', n: 0 }], ['u', 'n'], ['asc', 'desc']),
      _.uniqBy([2.1, 1.2, 2.3], Math.floor), _.partition([1, 2, 3, 4], (n) => n % 2),
      _.countBy(['one', 'two', 'three'], 'length'), _.keyBy([{ id: 'a' }, { id: 'b' }], 'id')],
    arrays: [_.flattenDeep([1, [2, [3, [4]], 5]]), _.zip(['a', 'b'], [1, 2], [true, false]),
      _.intersection([2, 1], [2, 3]), _.difference([2, 1], [2, 3]), _.range(0, 20, 5),
      _.sortedIndex([30, 50], 40), _.xor([2, 1], [2, 3]), _.take([1, 2, 3], 2)],
    objects: [_.merge({ a: [{ b: 2 }, { d: 4 }] }, { a: [{ c: 3 }, { e: 5 }] }),
      _.isEqual({ a: [1, { b: new Date(0) }] }, { a: [1, { b: new Date(0) }] }),
      _.cloneDeep({ a: [1, { b: /x/g }], m: new Map([[1, 2]]) }).a, _.pick({ a: 1, b: 2, c: 3 }, ['a', 'c']),
      _.omit({ a: 1, b: 2, c: 3 }, ['a']), _.defaultsDeep({ a: { b: 2 } }, { a: { b: 1, c: 3 } }),
      _.invert({ a: 1, b: 2 }), _.mapValues({ a: 1, b: 2 }, (v) => v * 10)],
    functions: [_.curry((a, b, c) => a + b + c)(1)(2)(3), _.partial((a, b) => a - b, 10)(3),
      _.memoize((n) => n * 2)(21), _.flow([(x) => x + 1, (x) => x * 3])(2),
      _.once(() => 'first')(), _.ary(parseInt, 1)('10', 2)],
    strings: [_.pad('abc', 8, '_-'), _.truncate('hi-diddly-ho there, neighborino', { length: 24, separator: /,? +/ }),
      _.parseInt('08'), _.repeat('ab', 3), _.trim('  x  '), _.template('<%= a %>|${b}|<%- c %>')({ a: 1, b: 2, c: '<' }),
      _.upperFirst('fred'), _.split('a-b-c', '-', 2)],
    math: [_.sum([4, 2, 8, 6]), _.mean([4, 2, 8, 6]), _.maxBy([{ n: 1 }, { n: 2 }], 'n'), _.round(4.006, 2),
      _.clamp(-10, -5, 5), _.inRange(3, 2, 4)],
    chain: _.chain([1, 2, 3, 4]).map((n) => n * n).filter((n) => n % 2).reverse().value(),
  };
}

function jqueryProbe($) {
  const callbacks = $.Callbacks('once memory unique');
  const seen = [];
  callbacks.add((x) => seen.push(`a${x}`));
  callbacks.fire(1);
  callbacks.fire(2);
  callbacks.add((x) => seen.push(`b${x}`));
  let tokens = null;
  if ($.find && $.find.tokenize) tokens = $.find.tokenize('div > p.a:not(.b, [data-x="1"]) ~ li:nth-child(2n+1), #c');
  return {
    shape: shape($), fn: shape($.fn), version: $.fn.jquery,
    extend: $.extend(true, {}, { a: { b: 1, c: [1, 2] } }, { a: { d: 2, c: [3] } }),
    utilities: [$.map([1, 2, 3], (n) => (n > 1 ? [n, n] : null)), $.grep([1, 2, 3, 4], (n) => n % 2),
      $.inArray(3, [1, 2, 3]), $.merge([1, 2], [3]), $.isPlainObject({}), $.isPlainObject([]),
      $.isEmptyObject({}), $.makeArray({ length: 2, 0: 'a', 1: 'b' })],
    param: [$.param({ a: [1, 2], b: { c: 3, d: [4, { e: 5 }] }, f: 'x y&z' }),
      $.param({ a: [1, 2] }, true)],
    escapeSelector: [$.escapeSelector('#a.b c'), $.escapeSelector('1x'), $.escapeSelector('\0\x7f-')],
    tokens: plain(tokens),
    callbacks: seen,
    camel: $.camelCase ? $.camelCase('-ms-foo-bar') : null,
  };
}

function d3Probe(d3) {
  const x = d3.scaleLinear().domain([0, 10]).range([0, 100]);
  const t = d3.scaleUtc().domain([Date.UTC(2020, 0, 1), Date.UTC(2020, 0, 8)]);
  const root = d3.hierarchy({ name: 'r', children: [{ name: 'a', children: [{ name: 'c' }] }, { name: 'b' }] });
  d3.tree().size([100, 100])(root);
  return {
    shape: shape(d3),
    scales: [x(2.5), x.invert(75), x.ticks(5), x.tickFormat(5, '+%')(0.5), t.ticks(4).map(Number),
      d3.scaleLog().domain([1, 1000]).ticks(), d3.scaleOrdinal(d3.schemeCategory10)('a')],
    format: [d3.format('.2f')(Math.PI), d3.format(',.0f')(1234567.89), d3.format('$.2s')(42e6),
      d3.format('+.3e')(-0.000123), d3.format('#x')(255), d3.format('.1%')(0.123), d3.format('>10')('x')],
    time: [d3.utcFormat('%Y-%m-%dT%H:%M:%S.%L %a %b %j %U')(new Date(Date.UTC(2020, 1, 3, 4, 5, 6, 7))),
      Number(d3.utcParse('%d/%m/%Y %H:%M')('03/02/2020 04:05')), d3.utcDay.count(new Date(0), new Date(1e10))],
    color: [d3.rgb(10, 20, 30, 0.5).toString(), d3.rgb(10, 20, 30).toString(), d3.hsl(120, 0.5, 0.5, 0.25).toString(),
      d3.hsl(120, 0.5, 0.5).formatHsl(), d3.color('steelblue').formatHex(), d3.color('rgba(1, 2, 3, 0.4)').toString(),
      d3.interpolateRgb('red', 'blue')(0.3), d3.lab('#abcdef').toString()],
    interpolate: [d3.interpolateString('10px 20px', '30px 40px')(0.5), d3.interpolate({ a: [1, 'x 2'] }, { a: [3, 'x 4'] })(0.5),
      d3.interpolateNumber(0, 1)(0.25), d3.easeCubic(0.3)],
    dsv: [d3.csvParse('a,b\n1,"x,y"\n3,"q""z"'), d3.tsvFormat([{ a: 1, b: 'x\ty' }]), d3.csvParseRows('1,2\n3,4')],
    arrays: [d3.extent([3, 1, 2]), d3.bisect([1, 2, 3], 2), d3.quantile([1, 2, 3, 4], 0.5), d3.range(0, 1, 0.25),
      d3.group([{ k: 'a', v: 1 }, { k: 'b', v: 2 }, { k: 'a', v: 3 }], (d) => d.k).get('a'), d3.ticks(0, 1, 5)],
    shapes: [d3.line()([[0, 0], [1, 1], [2, 0]]), d3.line().curve(d3.curveBasis)([[0, 0], [1, 1], [2, 0]]),
      d3.arc()({ innerRadius: 0, outerRadius: 10, startAngle: 0, endAngle: Math.PI / 2 }),
      d3.pie()([1, 2, 3]).map((a) => [a.startAngle, a.endAngle])],
    geo: [d3.geoMercator()([10, 20]), d3.geoPath(d3.geoEquirectangular())({ type: 'LineString', coordinates: [[0, 0], [10, 10]] }),
      d3.geoDistance([0, 0], [10, 10]), d3.geoArea({ type: 'Polygon', coordinates: [[[0, 0], [0, 10], [10, 10], [10, 0], [0, 0]]] })],
    layout: root.descendants().map((n) => [n.data.name, n.x, n.y]),
    delaunay: Array.from(d3.Delaunay.from([[0, 0], [1, 0], [0, 1], [1, 1], [0.5, 0.4]]).triangles),
  };
}

function chartProbe(Chart) {
  const helpers = Chart.helpers || {};
  const scale = { chart: { options: { locale: 'en-US' } }, options: { ticks: { format: {} } } };
  return {
    shape: shape(Chart),
    helpers: shape(helpers),
    defaults: plain({ font: Chart.defaults.font, color: Chart.defaults.color, elements: Chart.defaults.elements,
      scales: Object.keys(Chart.defaults.scales || {}) }),
    registry: plain(Object.keys(Chart.registry.controllers.items || {}).sort()),
    ticks: [Chart.Ticks.formatters.numeric.call(scale, 1234.5, 0, [{ value: 0 }, { value: 1234.5 }]),
      Chart.Ticks.formatters.logarithmic.call(scale, 1000, 0, [{ value: 1000 }])],
    color: helpers.color ? [helpers.color('#ff8800').alpha(0.5).rgbString(), helpers.color('hsl(120, 50%, 50%)').hexString()] : null,
    misc: helpers.toFontString ? [helpers.toFontString({ size: 12, family: 'Arial', style: 'italic', weight: 'bold' }),
      helpers.toPadding({ top: 1, x: 2 }), helpers.niceNum ? helpers.niceNum(123, true) : null,
      helpers.formatNumber ? helpers.formatNumber(1234.5678, 'en-US', { maximumFractionDigits: 2 }) : null] : null,
  };
}

function leafletProbe(L) {
  const crs = L.CRS.EPSG3857;
  const latlngs = [L.latLng(51.5, -0.09), L.latLng(51.51, -0.1), L.latLng(51.52, -0.12)];
  const pts = [[0, 0], [1, 0.1], [2, -0.1], [3, 5], [4, 6], [5, 7], [6, 8.1], [7, 9]].map((p) => L.point(p));
  return {
    shape: shape(L), version: L.version,
    geo: [L.latLng(50.5, 30.5).distanceTo([50.51, 30.51]), crs.latLngToPoint(latlngs[0], 13), crs.project(latlngs[1]),
      crs.unproject(L.point(1000, 2000)), L.CRS.EPSG4326.latLngToPoint(latlngs[2], 3), crs.scale(5), crs.getProjectedBounds(2),
      L.latLngBounds(latlngs).pad(0.1).toBBoxString(), L.latLng(10, 200).wrap(), L.CRS.Earth.distance(latlngs[0], latlngs[2])],
    points: [L.point(1, 2).add([3, 4]).multiplyBy(2), L.point(5.5, -2.5).round(), L.bounds([[0, 0], [5, 3]]).getCenter(),
      L.point(3, 4).distanceTo([0, 0]), L.transformation(2, 5, -1, 10).transform(L.point(1, 2))],
    util: [L.Util.template('Hello {a}, {b}!', { a: 'x', b: () => 'y' }), L.Util.formatNum(1.23456789, 3),
      L.Util.getParamString({ a: 1, b: 'x y' }, 'http://x/?q'), L.Util.splitWords('  a b  c '), L.Util.trim('  z '),
      L.Util.wrapNum(370, [-180, 180], true), L.Util.isArray([])],
    lines: [L.LineUtil.simplify(pts, 1), L.LineUtil.pointToSegmentDistance(L.point(1, 1), L.point(0, 0), L.point(2, 0)),
      L.LineUtil.clipSegment(L.point(-5, 1), L.point(15, 1), L.bounds([0, 0], [10, 10]))],
    geojson: [L.GeoJSON.coordsToLatLngs([[1, 2], [3, 4, 5]], 0), L.GeoJSON.latLngsToCoords(latlngs, 0, false, 4)],
    options: plain([L.Marker.prototype.options, L.Path.prototype.options, L.TileLayer.prototype.options]),
  };
}

function threeProbe(THREE) {
  const m = new THREE.Matrix4().makeRotationFromEuler(new THREE.Euler(0.1, 0.2, 0.3)).setPosition(1, 2, 3);
  const v = new THREE.Vector3(1, 2, 3).applyMatrix4(m);
  const q = new THREE.Quaternion().setFromEuler(new THREE.Euler(0.5, 0.1, -0.2));
  const c = new THREE.Color('#ff8800');
  const hsl = c.getHSL({});
  const box = new THREE.Box3().setFromPoints([new THREE.Vector3(-1, 2, 0), new THREE.Vector3(3, -4, 5)]);
  const ray = new THREE.Ray(new THREE.Vector3(-10, 0, 1), new THREE.Vector3(1, 0, 0));
  const geo = new THREE.TorusKnotGeometry(1, 0.3, 16, 4);
  const sum = (arr) => Array.from(arr).reduce((a, b) => a + b, 0);
  const chunks = THREE.ShaderChunk ? Object.keys(THREE.ShaderChunk).sort() : [];
  return {
    shape: shape(THREE),
    vector: [v.toArray(), m.toArray(), new THREE.Matrix4().copy(m).invert().toArray(), q.toArray(),
      new THREE.Quaternion().slerpQuaternions(q, new THREE.Quaternion(), 0.3).toArray(),
      new THREE.Euler().setFromQuaternion(q, 'ZYX').toArray(), new THREE.Spherical().setFromVector3(v)],
    color: [c.getHex(), hsl, new THREE.Color().setStyle('hsl(120, 50%, 50%)').getHexString(),
      new THREE.Color().setStyle('rgb(10%, 20%, 30%)').getHexString(), new THREE.Color('skyblue').getStyle(),
      new THREE.Color(0.2, 0.4, 0.6).convertSRGBToLinear().toArray()],
    geometry: [box.min.toArray(), box.max.toArray(), box.getBoundingSphere(new THREE.Sphere()).radius,
      ray.intersectBox(box, new THREE.Vector3()), geo.attributes.position.count, sum(geo.attributes.position.array),
      geo.index.count, new THREE.SphereGeometry(1, 8, 6).attributes.normal.array.length,
      THREE.ShapeUtils.triangulateShape([[0, 0], [2, 0], [2, 2], [1, 1], [0, 2]].map(([a, b]) => new THREE.Vector2(a, b)), []),
      new THREE.CatmullRomCurve3([new THREE.Vector3(0, 0, 0), new THREE.Vector3(1, 2, 0), new THREE.Vector3(3, 1, 1)]).getPoints(4).map((p) => p.toArray())],
    math: [THREE.MathUtils.clamp(5, 0, 1), THREE.MathUtils.smoothstep(0.3, 0, 1), THREE.MathUtils.euclideanModulo(-1, 3),
      THREE.MathUtils.seededRandom ? THREE.MathUtils.seededRandom(42) : null, THREE.MathUtils.degToRad(90)],
    shaders: chunks.map((name) => [name, THREE.ShaderChunk[name]]),
  };
}

function bootstrapProbe(bootstrap) {
  const defaults = {};
  for (const name of Object.keys(bootstrap).sort()) {
    const cls = bootstrap[name];
    defaults[name] = plain({ Default: cls.Default, DefaultType: cls.DefaultType, NAME: cls.NAME, DATA_KEY: cls.DATA_KEY });
  }
  return { shape: shape(bootstrap), defaults };
}

const LIBRARIES = {
  // name: [how to load, global name, probe]
  lodash: ['script', '_', lodashProbe],
  'lodash-es': ['module', 'default', lodashProbe],
  jquery: ['script', 'jQuery', jqueryProbe],
  'jquery-factory': ['module', 'jQueryFactory', jqueryProbe],
  'jquery-src': ['module', 'jQuery', jqueryProbe],
  d3: ['script', 'd3', d3Probe],
  chart: ['script', 'Chart', chartProbe],
  leaflet: ['script', 'L', leafletProbe],
  'leaflet-esm': ['module', '*', leafletProbe],
  three: ['module', '*', threeProbe],
  bootstrap: ['script', 'bootstrap', bootstrapProbe],
};

const [name, file] = process.argv.slice(2);
const [how, exported, probe] = LIBRARIES[name];
let lib;
if (how === 'script') {
  lib = runScript(file, exported);
} else {
  const win = fakeWindow();
  for (const key of ['window', 'document', 'navigator', 'location', 'screen', 'devicePixelRatio']) {
    if (!(key in globalThis)) globalThis[key] = win[key];
  }
  const ns = await importModule(file);
  lib = exported === '*' ? ns : ns[exported];
  if (name === 'jquery-factory') lib = lib(win);
}
process.stdout.write(JSON.stringify(plain(probe(lib))));
