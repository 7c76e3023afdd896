/** One regular file for a tar archive (what the engine's archive endpoint takes). */
export interface TarFile {
  /** Path inside the archive, relative ("run/secrets/db"). */
  name: string;
  content: Buffer;
  mode: number;
  uid?: number;
  gid?: number;
  mtime?: Date;
}

function octal(value: number, width: number): string {
  // width-1 octal digits and a NUL, as POSIX ustar stores numbers.
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

/** ustar keeps 100 bytes of name and 155 of prefix; a longer path is split at a slash. */
function splitName(name: string): { prefix: string; name: string } {
  if (Buffer.byteLength(name) <= 100) return { prefix: '', name };
  for (let i = name.indexOf('/'); i >= 0; i = name.indexOf('/', i + 1)) {
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100) return { prefix, name: rest };
  }
  throw new Error(`path too long for a tar archive: ${name.length} characters`);
}

function header(f: TarFile): Buffer {
  const h = Buffer.alloc(512, 0);
  const { prefix, name } = splitName(f.name);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(f.mode & 0o7777, 8), 100, 8, 'ascii');
  h.write(octal(f.uid ?? 0, 8), 108, 8, 'ascii');
  h.write(octal(f.gid ?? 0, 8), 116, 8, 'ascii');
  h.write(octal(f.content.length, 12), 124, 12, 'ascii');
  h.write(octal(Math.floor((f.mtime ?? new Date()).getTime() / 1000), 12), 136, 12, 'ascii');
  h.write('        ', 148, 8, 'ascii');
  h.write('0', 156, 1, 'ascii');
  h.write('ustar\0', 257, 6, 'ascii');
  h.write('00', 263, 2, 'ascii');
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(octal(sum, 7) + ' ', 148, 8, 'ascii');
  return h;
}

/** A tar archive of regular files (parent directories are created by the engine when it extracts). */
export function tarArchive(files: TarFile[]): Buffer {
  const parts: Buffer[] = [];
  for (const f of files) {
    parts.push(header(f), f.content);
    const pad = (512 - (f.content.length % 512)) % 512;
    if (pad) parts.push(Buffer.alloc(pad, 0));
  }
  parts.push(Buffer.alloc(1024, 0));
  return Buffer.concat(parts);
}
