/** Where training loops report: a progress bar with ETA on a terminal, plain periodic lines otherwise, or nothing. */
export interface Reporter {
  /** A one-off message line. */
  log(line: string): void;
  /** Start a loop of `total` steps named `label` (steps already done when resuming: `start`). */
  start(label: string, total: number, start?: number): void;
  /** Step `done` of the current loop finished; `info` is a short status (losses). */
  tick(done: number, info?: string): void;
  /** The loop ended. */
  end(info?: string): void;
}

/** Format seconds as `1m05s` / `42s`. */
export function formatDuration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)}s`;
  const m = Math.floor(s / 60);
  const r = Math.round(s - m * 60);
  if (m < 60) return `${m}m${String(r).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** Options of {@link consoleReporter}. */
export interface ConsoleReporterOptions {
  /** Stream to write to. @default process.stderr */
  stream?: NodeJS.WriteStream;
  /** Redraw one line with ETA (terminal) or print plain lines. @default stream.isTTY */
  tty?: boolean;
  /** Plain mode: seconds between periodic lines. @default 10 */
  intervalSeconds?: number;
}

/** A reporter writing to a stream (stderr by default so `--json` output on stdout stays clean). */
export function consoleReporter(options: ConsoleReporterOptions = {}): Reporter {
  const stream = options.stream ?? process.stderr;
  const tty = options.tty ?? Boolean(stream.isTTY);
  const interval = (options.intervalSeconds ?? 10) * 1000;
  let label = '';
  let total = 0;
  let first = 0;
  let t0 = 0;
  let lastPrint = 0;
  let last = 0;
  let lastInfo = '';
  const line = (done: number, info: string) => {
    const el = (Date.now() - t0) / 1000;
    const rate = (done - first) / Math.max(el, 1e-9);
    const eta = rate > 0 ? (total - done) / rate : NaN;
    const pct = total ? ((100 * done) / total).toFixed(0).padStart(3) : '  ?';
    return `${label} ${pct}% ${done}/${total} elapsed ${formatDuration(el)} eta ${formatDuration(eta)}${info ? ` | ${info}` : ''}`;
  };
  return {
    log(l) {
      if (tty && total) stream.write('\r\x1b[K');
      stream.write(`${l}\n`);
    },
    start(l, n, s = 0) {
      label = l;
      total = n;
      first = s;
      last = s;
      t0 = Date.now();
      lastPrint = 0;
      lastInfo = '';
    },
    tick(done, info = '') {
      last = done;
      lastInfo = info;
      const now = Date.now();
      if (tty) {
        if (now - lastPrint > 200 || done === total) {
          stream.write(`\r\x1b[K${line(done, info)}`);
          lastPrint = now;
        }
      } else if (now - lastPrint >= interval) {
        stream.write(`${line(done, info)}\n`);
        lastPrint = now;
      }
    },
    end(info) {
      const l = line(last, info ?? lastInfo);
      stream.write(tty ? `\r\x1b[K${l}\n` : `${l}\n`);
      total = 0;
    },
  };
}

/** A reporter that prints nothing. */
export const silentReporter: Reporter = { log() {}, start() {}, tick() {}, end() {} };
