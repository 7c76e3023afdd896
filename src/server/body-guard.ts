// JSON request bodies are read and bounded here, once, before tRPC or
// trpc-to-openapi see them: a body nested thousands deep parses fine but
// overflows the stack later (zod, JSON.stringify of an error), which became
// a 500 on every route. Size and depth are refused as the contract's 4xx.
import type { IncomingMessage } from 'node:http';

/** Deeper than any compose document or API body has a reason to be; far below where recursion fails (~4,000). */
export const MAX_JSON_DEPTH = 64;
export const MAX_BODY_BYTES = 1024 * 1024;

/** True when brackets outside strings nest deeper than `max`: one pass over the text, no recursion. */
export function jsonTooDeep(text: string, max = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 /* [ */ || c === 123 /* { */) {
      if (++depth > max) return true;
    } else if (c === 93 || c === 125) depth--;
  }
  return false;
}

export class PayloadTooLarge extends Error {}

/** The whole body as text, refusing past `limit` bytes (the rest is not read). */
export function readBodyText(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (err?: Error) => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      if (err) reject(err);
      else resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // Stop reading; the answer goes out and the connection closes after it.
        req.pause();
        return done(new PayloadTooLarge(`the body is larger than ${limit} bytes`));
      }
      chunks.push(chunk);
    };
    const onEnd = () => done();
    const onError = (err: Error) => done(err);
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

/** Whether the request carries a body at all (tRPC and REST treat a bodiless POST as no input). */
export function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0';
}

export interface BodyRefusal {
  status: number;
  body: { error: string; details?: string; code: string };
  /** The rest of the body was not read: the connection must close instead of draining it. */
  close?: boolean;
}

const refusal = (status: number, error: string, details: string, code: string): BodyRefusal => ({ status, body: { error, details, code } });

/**
 * Reads a JSON body and leaves it on `req.body` for the handler: parsed for
 * trpc-to-openapi (`rest`), as text for tRPC (`trpc`), which both take a
 * body already read from there. Answers what to refuse, or undefined.
 */
export async function prepareJsonBody(req: IncomingMessage, kind: 'rest' | 'trpc'): Promise<BodyRefusal | undefined> {
  let text: string;
  try {
    text = await readBodyText(req);
  } catch (err) {
    // A 400 like any other bad input, as the contract and issue 12 ask (the details say why).
    if (err instanceof PayloadTooLarge) return { ...refusal(400, 'Request body too large', err.message, 'BAD_REQUEST'), close: true };
    return refusal(400, 'Malformed request body', 'the body could not be read', 'BAD_REQUEST');
  }
  const target = req as IncomingMessage & { body?: unknown };
  if (jsonTooDeep(text)) return refusal(400, 'Invalid input', `body: JSON nested more than ${MAX_JSON_DEPTH} deep`, 'BAD_REQUEST');
  if (kind === 'trpc') {
    target.body = text === '' ? undefined : text;
    return undefined;
  }
  if (text.trim() === '') {
    target.body = undefined;
    return undefined;
  }
  try {
    target.body = JSON.parse(text) as unknown;
  } catch {
    return refusal(400, 'Malformed request body', 'the body is not valid JSON', 'BAD_REQUEST');
  }
  return undefined;
}

/** tRPC GET calls carry their input as JSON in `?input=`: the same bound applies. */
export function queryInputTooDeep(url: URL): boolean {
  const input = url.searchParams.get('input');
  return input !== null && jsonTooDeep(input);
}
