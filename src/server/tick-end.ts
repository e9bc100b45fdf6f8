/**
 * Work deferred to the end of the current tick (after the synchronous code and the promise chains it
 * started), in two phases: first `atTickEnd` tasks, which may send frames (a session's cumulative
 * ack), then `flushAtTickEnd` tasks, which write out what was sent in the tick (an uncork, a poll's
 * answer). So frames produced anywhere in one tick, the deferred ones included, leave a connection in
 * one write, without waiting for the next turn of the event loop.
 *
 * A task is a function and its argument (no closure per call).
 */
interface Task {
  run: (arg: never) => void;
  arg: unknown;
}

let scheduled = false;
let sends: Task[] = [];
let flushes: Task[] = [];

export function atTickEnd<T>(run: (arg: T) => void, arg: T): void {
  sends.push({ run, arg });
  schedule();
}

export function flushAtTickEnd<T>(run: (arg: T) => void, arg: T): void {
  flushes.push({ run, arg });
  schedule();
}

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  process.nextTick(runTasks);
}

function runTasks(): void {
  while (sends.length > 0 || flushes.length > 0) {
    while (sends.length > 0) {
      const list = sends;
      sends = [];
      runAll(list);
    }
    const list = flushes;
    flushes = [];
    runAll(list);
  }
  scheduled = false;
}

function runAll(list: Task[]): void {
  for (const task of list) {
    try {
      (task.run as (arg: unknown) => void)(task.arg);
    } catch (error) {
      // One failing task must not strand the others: it surfaces as an uncaught error of its own.
      process.nextTick(() => {
        throw error;
      });
    }
  }
}
