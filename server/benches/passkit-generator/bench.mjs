// How many signed .pkpass files per second the npm package passkit-generator makes on one core,
// for comparison with our own numbers (server/benches/passes.rs).
//
//   node bench.mjs --model DIR --cert PEM --key PEM --wwdr PEM --seconds N [--out FILE]
//
// DIR is a pass model: pass.json plus its PNG images (and *.lproj folders, if any). The key is an
// unencrypted RSA private key (PKCS#8 or PKCS#1 PEM). --out also writes the first pass to FILE, to
// check it by hand. Prints one JSON line on stdout:
//   {"tool":"passkit-generator","version":"x.y.z","node":"vNN","per_second":…,"per_cpu_second":…,
//    "passes":…,"seconds":…}
//
// Each pass is made the way a server would: new PKPass(model, certificates, { serialNumber }),
// which parses and validates pass.json, then getAsBuffer(), which writes pass.json and
// manifest.json, signs the manifest (PKCS#7 in node-forge, pure JavaScript; the library parses
// the PEMs again for every signature) and zips the files (stored, not compressed). The model
// folder and the PEM files are read from disk once, before timing, and handed to the library as
// buffers and strings ("Buffer Model" in its README), so the figure is generation and signing,
// not disk reads. One process, one thread, no concurrency: one core.

import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { PKPass } from 'passkit-generator';

const WARM_UP_PASSES = 20;

/** Reads the model folder into { "icon.png": Buffer, "en.lproj/pass.strings": Buffer, … }. */
function readModel(dir) {
  const files = {};
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    // Hidden files, and a manifest or signature left in the folder, are not part of a model.
    if (name.startsWith('.') || name === 'manifest.json' || name === 'signature') continue;
    if (statSync(full).isDirectory()) {
      // Localisation folders (en.lproj/…) are the only subfolders a pass has.
      for (const inner of readdirSync(full)) {
        if (!inner.startsWith('.')) files[`${name}/${inner}`] = readFileSync(path.join(full, inner));
      }
    } else {
      files[name] = readFileSync(full);
    }
  }
  if (!files['pass.json']) throw new Error(`${dir} has no pass.json`);
  return files;
}

/** The version of passkit-generator that was installed next to this script. */
function libraryVersion() {
  const file = new URL('./node_modules/passkit-generator/package.json', import.meta.url);
  return JSON.parse(readFileSync(file, 'utf8')).version;
}

function main() {
  const { values: args } = parseArgs({
    options: {
      model: { type: 'string' },
      cert: { type: 'string' },
      key: { type: 'string' },
      wwdr: { type: 'string' },
      seconds: { type: 'string' },
      out: { type: 'string' },
    },
  });
  for (const name of ['model', 'cert', 'key', 'wwdr', 'seconds']) {
    if (!args[name]) throw new Error(`--${name} is required`);
  }
  const seconds = Number(args.seconds);
  if (!(seconds > 0)) throw new Error(`--seconds must be a positive number, not ${args.seconds}`);

  const model = readModel(args.model);
  const certificates = {
    signerCert: readFileSync(args.cert, 'utf8'),
    signerKey: readFileSync(args.key, 'utf8'),
    wwdr: readFileSync(args.wwdr, 'utf8'),
  };

  // The library reports a broken model (an invalid pass.json, no icon) with console.warn and
  // carries on; timing a broken pass is worthless, so here a warning stops the run.
  console.warn = (...message) => {
    throw new Error(`passkit-generator: ${message.join(' ')}`);
  };

  let serial = 0;
  /** One complete signed pass, as the bytes of the .pkpass zip. */
  function makePass() {
    serial += 1;
    const pass = new PKPass(model, certificates, { serialNumber: `BENCH-${serial}` });
    return pass.getAsBuffer();
  }

  const first = makePass();
  if (first.readUInt32LE(0) !== 0x04034b50) throw new Error('the first pass is not a zip file');
  if (args.out) writeFileSync(args.out, first);
  for (let i = 1; i < WARM_UP_PASSES; i++) makePass();

  let passes = 0;
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  let elapsed = 0;
  while (elapsed < seconds) {
    makePass();
    passes += 1;
    elapsed = (performance.now() - start) / 1000;
  }

  // CPU time of the whole process (main thread and helpers such as the garbage collector), so the
  // figure does not depend on what else the machine is doing.
  const cpu = process.cpuUsage(cpuStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const result = {
    tool: 'passkit-generator',
    version: libraryVersion(),
    node: process.version,
    per_second: Math.round((passes / elapsed) * 10) / 10,
    per_cpu_second: Math.round((passes / cpuSeconds) * 10) / 10,
    passes,
    seconds: Math.round(elapsed * 1000) / 1000,
  };
  console.log(JSON.stringify(result));
}

try {
  main();
} catch (err) {
  process.stderr.write(`bench.mjs: ${err.message}\n`);
  process.exit(1);
}
