import type { LogLine } from '../shared/logs.js';

/** One kept line. Short field names: up to 100,000 of these live in memory. */
export interface LogEntry {
  seq: number;
  container: string;
  stderr: boolean;
  timestamp: string;
  message: string;
}

// Colours, cursor moves and the like: noise in a browser, and they break the fixed row height.
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|[\r\x00-\x08\x0b\x0c\x0e-\x1f]/g;

export type LogFilter = (e: LogEntry) => boolean;

/**
 * The lines of a log view, bounded: past `cap` lines the oldest are dropped.
 * `view` is the filtered subset, kept up to date incrementally so that a new
 * line costs O(1) and only a new filter costs a pass over everything.
 */
export class LogBuffer {
  entries: LogEntry[] = [];
  view: LogEntry[] = [];
  /** Lines dropped from the front since the buffer was created (or cleared). */
  dropped = 0;
  private nextSeq = 0;
  private filter: LogFilter = () => true;

  constructor(readonly cap: number) {}

  /** Adds lines; returns how many rows left the front of the view (to keep a scrolled-up reader in place). */
  push(lines: LogLine[]): number {
    for (const l of lines) {
      const entry: LogEntry = { seq: this.nextSeq++, container: l.container, stderr: l.stream === 'stderr', timestamp: l.timestamp, message: l.message.replace(ANSI, '') };
      this.entries.push(entry);
      if (this.filter(entry)) this.view.push(entry);
    }
    return this.trim();
  }

  setFilter(filter: LogFilter): void {
    this.filter = filter;
    this.view = this.entries.filter(filter);
  }

  clear(): void {
    this.entries = [];
    this.view = [];
    this.dropped = 0;
  }


  get lastTimestamp(): string | undefined {
    for (let i = this.entries.length - 1; i >= 0; i--) if (this.entries[i]!.timestamp) return this.entries[i]!.timestamp;
    return undefined;
  }

  private trim(): number {
    const excess = this.entries.length - this.cap;
    if (excess <= 0) return 0;
    const firstKept = this.entries[excess]!.seq;
    this.entries.splice(0, excess);
    this.dropped += excess;
    let gone = 0;
    while (gone < this.view.length && this.view[gone]!.seq < firstKept) gone++;
    if (gone) this.view.splice(0, gone);
    return gone;
  }
}
