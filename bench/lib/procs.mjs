// Child processes (sidecar, upstream), CPU pinning and /proc readings.

import { execFileSync, spawn } from 'node:child_process';
import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';

const children = new Set();

function hasTaskset() {
  try { execFileSync('taskset', ['-V'], { stdio: 'ignore' }); return true; } catch { return false; }
}

/** Pinning needs taskset and at least 2 CPUs: the sidecar gets CPU 0, everything else CPU 1. */
export const PINNING = os.availableParallelism() >= 2 && process.platform === 'linux' && hasTaskset();
export const SIDECAR_CPU = 0;
export const CLIENT_CPU = 1;

export function clockTicks() {
  try { return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100; } catch { return 100; }
}

/** Pins this process (every thread) to `cpu`. */
export function pinSelf(cpu) {
  if (!PINNING) return false;
  execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(process.pid)], { stdio: 'ignore' });
  return true;
}

/**
 * Starts `node <args>` pinned to `cpu` and resolves with the child and the
 * first JSON line it prints on stdout. The rest of stdout is discarded, or
 * appended to `stdoutFile`.
 */
export function startNode(name, cpu, nodeArgs, args, env, { timeoutMs = 30_000, stdoutFile } = {}) {
  const cmd = PINNING ? 'taskset' : process.execPath;
  const argv = PINNING ? ['-c', String(cpu), process.execPath, ...nodeArgs, ...args] : [...nodeArgs, ...args];
  const child = spawn(cmd, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
  child.stderrTail = () => stderr;
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => { reject(new Error(`${name} did not start within ${timeoutMs} ms: ${stderr}`)); }, timeoutMs);
    // The first stdout line that is a JSON object (node flags such as --trace-gc may print before it).
    const onData = (d) => {
      out += d;
      let nl;
      while ((nl = out.indexOf('\n')) !== -1) {
        const line = out.slice(0, nl).trim();
        out = out.slice(nl + 1);
        if (!line.startsWith('{')) continue;
        let info;
        try { info = JSON.parse(line); } catch { continue; }
        clearTimeout(timer);
        child.stdout.off('data', onData);
        if (stdoutFile === undefined) child.stdout.resume();
        else child.stdout.pipe(createWriteStream(stdoutFile, { flags: 'a' }));
        resolve({ child, info });
        return;
      }
    };
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', onData);
    child.once('exit', (code, signal) => { clearTimeout(timer); reject(new Error(`${name} exited (${code ?? signal}) while starting: ${stderr}`)); });
  });
}

/** SIGTERM, then SIGKILL after `graceMs`. Resolves once the process is gone. */
export function stopChild(child, graceMs = 5000) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => { clearTimeout(kill); resolve(); });
    child.kill('SIGTERM');
  });
}

/** Last resort on abnormal exit: kill whatever this process started, by pid. */
export function killAllChildrenSync() {
  for (const c of children) { try { c.kill('SIGKILL'); } catch { /* gone */ } }
}

/** The pid of the node process (taskset execs node, so the pid is the same). */
export const pidOf = (child) => child.pid;

/** utime + stime of a process, in seconds. */
export function cpuSeconds(pid, ticks) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticks;
}

/** Busy and total jiffies per CPU from /proc/stat. */
export function coreTimes() {
  const out = {};
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    const m = /^cpu(\d+)\s+(.*)$/.exec(line);
    if (m === null) continue;
    const v = m[2].trim().split(/\s+/).map(Number);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0); // user nice system idle iowait irq softirq steal
    const idle = v[3] + v[4];
    out[m[1]] = { busy: total - idle, total, steal: v[7] ?? 0 };
  }
  return out;
}

/** VmRSS / VmHWM (peak) of a process, in KiB. */
export function memoryKiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const get = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: get('VmRSS'), hwm: get('VmHWM') };
}

/** Resets VmHWM to the current RSS (Linux: "5" > /proc/PID/clear_refs). False if not permitted. */
export function resetPeakRss(pid) {
  try { writeFileSync(`/proc/${pid}/clear_refs`, '5'); return true; } catch { return false; }
}

export function loadAverage() {
  return os.loadavg().map((v) => Math.round(v * 100) / 100);
}
