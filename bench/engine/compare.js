#!/usr/bin/env node
// Engine benchmark: inferd vs ONNX Runtime on the same models, inputs and
// thread counts, in one run, alternating blocks of runs so that machine noise
// hits both alike. Prints a table with medians, the ratio inferd/ORT, load
// times and the largest relative difference between the two outputs.
//
//   node compare.js --fixtures DIR --worker PATH [--quick] [--models a,b] [--threads 1,2]
// DIR holds <model>.onnx and <model>.b<batch>.input.npy (scripts/fixtures/export_models.py).
'use strict';
const fs = require('fs');
const path = require('path');
const os = require('os');
const { spawn } = require('child_process');
const readline = require('readline');
const ort = require('onnxruntime-node');

const FULL = [
  ['mlp', 1], ['mlp', 32], ['mobilenet_v2', 1], ['mobilenet_v2', 32], ['resnet18', 1], ['resnet18', 32],
  ['resnet50', 1], ['resnet50', 32], ['transformer', 1], ['transformer', 8],
];
const QUICK = [['mlp', 1], ['mlp', 32], ['mobilenet_v2', 1], ['resnet18', 1], ['transformer', 1]];

function parseArgs(argv) {
  const a = { fixtures: null, worker: null, quick: false, models: null, threads: [1, 2], rounds: null };
  for (let i = 2; i < argv.length; ++i) {
    const k = argv[i];
    if (k === '--fixtures') a.fixtures = argv[++i];
    else if (k === '--worker') a.worker = argv[++i];
    else if (k === '--quick') a.quick = true;
    else if (k === '--models') a.models = argv[++i].split(',');
    else if (k === '--threads') a.threads = argv[++i].split(',').map(Number);
    else if (k === '--rounds') a.rounds = Number(argv[++i]);
    else throw new Error(`unknown argument ${k}`);
  }
  if (!a.fixtures || !a.worker) throw new Error('--fixtures DIR and --worker PATH are required');
  return a;
}

// Minimal .npy reader: little-endian float32/int64 C-order arrays.
function readNpy(file) {
  const buf = fs.readFileSync(file);
  if (buf.toString('latin1', 1, 6) !== 'NUMPY') throw new Error(`${file}: not an .npy file`);
  const major = buf[6];
  const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const hstart = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', hstart, hstart + hlen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)[1];
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)[1].split(',').map((s) => s.trim()).filter((s) => s).map(Number);
  const body = buf.subarray(hstart + hlen);
  const copy = Uint8Array.from(body).buffer;  // aligned
  if (descr === '<f4') return { type: 'float32', shape, data: new Float32Array(copy) };
  if (descr === '<i8') return { type: 'int64', shape, data: new BigInt64Array(copy) };
  throw new Error(`${file}: unsupported dtype ${descr}`);
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

class Worker {
  constructor(bin, model, input, threads, outFile) {
    this.proc = spawn(bin, [model, input, String(threads), outFile], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.lines = readline.createInterface({ input: this.proc.stdout });
    this.waiters = [];
    this.lines.on('line', (l) => { const w = this.waiters.shift(); if (w) w(l); });
  }
  next() { return new Promise((resolve) => this.waiters.push(resolve)); }
  async ready() {
    const l = await this.next();
    if (!l.startsWith('ready')) throw new Error(`inferd worker: ${l}`);
    return Number(/load_ms=([\d.]+)/.exec(l)[1]);
  }
  async run(n) {
    this.proc.stdin.write(`run ${n}\n`);
    const l = await this.next();
    if (!l.startsWith('times')) throw new Error(`inferd worker: ${l}`);
    return l.split(' ').slice(1).map(Number);
  }
  quit() { this.proc.stdin.write('quit\n'); }
}

async function benchRow(args, model, batch, threads) {
  const onnx = path.join(args.fixtures, `${model}.onnx`);
  const inputFile = path.join(args.fixtures, `${model}.b${batch}.input.npy`);
  if (!fs.existsSync(onnx) || !fs.existsSync(inputFile)) return null;
  const input = readNpy(inputFile);
  const outFile = path.join(os.tmpdir(), `inferd-bench-${process.pid}-${model}-${batch}-${threads}.npy`);
  // The previous row's ORT session may still be spinning: let it stop before
  // the load times start.
  await new Promise((resolve) => setTimeout(resolve, 100));
  const worker = new Worker(args.worker, onnx, inputFile, threads, outFile);
  const inferdLoad = await worker.ready();

  const t0 = process.hrtime.bigint();
  const session = await ort.InferenceSession.create(onnx, {
    intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all',
  });
  const ortLoad = Number(process.hrtime.bigint() - t0) / 1e6;
  const feeds = { [session.inputNames[0]]: new ort.Tensor(input.type, input.data, input.shape) };
  const ortOut = (await session.run(feeds))[session.outputNames[0]].data;
  const ours = readNpy(outFile).data;
  fs.unlinkSync(outFile);
  let maxDiff = 0, maxRef = 0;
  for (let i = 0; i < ortOut.length; ++i) {
    maxDiff = Math.max(maxDiff, Math.abs(ours[i] - ortOut[i]));
    maxRef = Math.max(maxRef, Math.abs(ortOut[i]));
  }
  const relDiff = maxRef > 0 ? maxDiff / maxRef : maxDiff;

  // Aim for ~1.5 s (quick: ~0.5 s) of measured time per engine, in rounds.
  const probe = median(await worker.run(3));
  const budgetMs = args.quick ? 500 : 1500;
  const rounds = args.rounds || (args.quick ? 3 : 5);
  const perRound = Math.max(1, Math.min(200, Math.round(budgetMs / rounds / Math.max(probe, 0.01))));
  await worker.run(Math.min(perRound, 10));  // warm-up
  for (let i = 0; i < Math.min(perRound, 10); ++i) await session.run(feeds);
  // A pause at each switch lets the other engine's idle threads stop
  // spinning (ONNX Runtime's pool spins after each run) before timing starts.
  const pause = () => new Promise((resolve) => setTimeout(resolve, 50));
  const ti = [], to = [];
  for (let r = 0; r < rounds; ++r) {
    await pause();
    ti.push(...(await worker.run(perRound)));
    await pause();
    for (let i = 0; i < perRound; ++i) {
      const s = process.hrtime.bigint();
      await session.run(feeds);
      to.push(Number(process.hrtime.bigint() - s) / 1e6);
    }
  }
  worker.quit();
  await session.release();
  return { model, batch, threads, inferd: median(ti), ort: median(to), inferdLoad, ortLoad, relDiff, n: ti.length };
}

async function main() {
  const args = parseArgs(process.argv);
  let rows = args.quick ? QUICK : FULL;
  if (args.models) rows = FULL.filter(([m]) => args.models.includes(m));
  const header = ['model', 'batch', 'threads', 'inferd ms', 'ORT ms', 'inferd/ORT', 'inferd load ms', 'ORT load ms', 'max rel diff', 'runs'];
  console.log(header.join(' | '));
  console.log(header.map(() => '---').join(' | '));
  let worst = 0, agreeFail = 0, missing = 0;
  for (const [model, batch] of rows) {
    for (const threads of args.threads) {
      const r = await benchRow(args, model, batch, threads);
      if (!r) {
        missing++;
        console.log(`${model} | ${batch} | ${threads} | (fixture missing) | | | | | |`);
        continue;
      }
      const ratio = r.inferd / r.ort;
      worst = Math.max(worst, ratio);
      if (!(r.relDiff <= 1e-4)) agreeFail++;
      console.log([r.model, r.batch, r.threads, r.inferd.toFixed(3), r.ort.toFixed(3), ratio.toFixed(2),
        r.inferdLoad.toFixed(1), r.ortLoad.toFixed(1), r.relDiff.toExponential(1), r.n].join(' | '));
    }
  }
  console.log(`\nworst ratio ${worst.toFixed(2)}; outputs disagreeing beyond 1e-4: ${agreeFail}; rows missing fixtures: ${missing}`);
  process.exit(agreeFail ? 1 : 0);
}

main().catch((e) => { console.error(`compare.js: ${e.message}`); process.exit(1); });
