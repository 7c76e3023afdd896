// Splits a string command the way compose does (mattn/go-shellwords with
// variable and backtick expansion off): whitespace separates words, quotes
// and backslashes group them, nothing else is interpreted. `sh -c "echo $HOME"`
// keeps `$HOME` for the shell inside the container to expand.
import { ComposeValueError } from './parse-units.js';

export interface ShellWords {
  words: string[];
  /** Set when an unquoted ; & | < or > ended the parse: compose drops everything from there. */
  dropped?: string;
}

export function splitShellWords(line: string): ShellWords {
  const words: string[] = [];
  let buf = '';
  let inWord = false;
  let escaped = false;
  let single = false;
  let double = false;
  let stop = -1;
  const chars = [...line];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] as string;
    if (escaped) {
      buf += c;
      escaped = false;
      inWord = true;
      continue;
    }
    if (c === '\\' && !single) {
      escaped = true;
      continue;
    }
    if (/\s/.test(c)) {
      if (single || double) buf += c;
      else if (inWord) {
        words.push(buf);
        buf = '';
        inWord = false;
      }
      continue;
    }
    if (c === '"' && !single) {
      double = !double;
      inWord = true;
      continue;
    }
    if (c === "'" && !double) {
      single = !single;
      inWord = true;
      continue;
    }
    if (';&|<>'.includes(c) && !single && !double) {
      stop = i;
      break;
    }
    buf += c;
    inWord = true;
  }
  if (escaped || single || double) {
    throw new ComposeValueError(
      single || double ? 'a quote is not closed' : 'the command ends with a lone "\\"',
    );
  }
  if (inWord) words.push(buf);
  return stop < 0 ? { words } : { words, dropped: chars.slice(stop).join('') };
}
