// Open-loop pacer: runs in a worker thread and posts the index of each call at
// its scheduled time. Atomics.wait sleeps with sub-millisecond precision (a
// main-thread setTimeout only has millisecond granularity), and a message
// wakes the main event loop at once. Times are in the main thread's
// performance.now() scale; the main thread stamps each call with its
// scheduled time, so any lateness (here or in the main loop) counts as latency.
import { parentPort, workerData } from 'node:worker_threads';

const { start, intervalMs, count, mainOrigin } = workerData;
const offset = performance.timeOrigin - mainOrigin;
const cell = new Int32Array(new SharedArrayBuffer(4));
const now = () => performance.now() + offset;

for (let i = 0; i < count; i++) {
  const due = start + i * intervalMs;
  for (;;) {
    const wait = due - now();
    if (wait <= 0.002) break;
    Atomics.wait(cell, 0, 0, wait);
  }
  parentPort.postMessage(i);
}
