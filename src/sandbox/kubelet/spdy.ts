// SPDY/3.1 framing, as far as the kubelet's exec endpoint needs it. The kube-apiserver speaks SPDY
// to kubelets (for a WebSocket client it translates, see k8s.io/apiserver pkg/util/proxy
// streamtranslator.go), through the moby/spdystream framer, so this follows that peer: control
// frames SYN_STREAM, SYN_REPLY, RST_STREAM, SETTINGS, PING, GOAWAY, HEADERS, WINDOW_UPDATE, and
// data frames; header blocks compressed with zlib and the SPDY/3 dictionary. spdystream sends no
// WINDOW_UPDATE and honours none, so neither side does flow control beyond TCP's.
import { inflateSync, constants as zlibConstants } from 'node:zlib';

export const SPDY_VERSION = 3;

export const FrameType = {
  SynStream: 1,
  SynReply: 2,
  RstStream: 3,
  Settings: 4,
  Ping: 6,
  GoAway: 7,
  Headers: 8,
  WindowUpdate: 9,
} as const;

export const FLAG_FIN = 0x01;
export const FLAG_UNIDIRECTIONAL = 0x02;

/** RST_STREAM status codes. */
export const RstStatus = { ProtocolError: 1, InvalidStream: 2, RefusedStream: 3, Cancel: 5, InternalError: 6 } as const;

/** Largest payload of one frame (24-bit length). */
export const MAX_FRAME_PAYLOAD = 0xffffff;

export type Frame =
  | { control: false; streamId: number; flags: number; data: Buffer }
  | { control: true; version: number; type: number; flags: number; payload: Buffer };

/**
 * The SPDY/3 header compression dictionary (SPDY Protocol draft 3, section 2.6.10.1): 65 length
 * prefixed header names and values, then a run of common strings. Its Adler-32 is 0xe3c6a7c2.
 */
const DICTIONARY_WORDS = [
  'options', 'head', 'post', 'put', 'delete', 'trace', 'accept', 'accept-charset', 'accept-encoding', 'accept-language',
  'accept-ranges', 'age', 'allow', 'authorization', 'cache-control', 'connection', 'content-base', 'content-encoding',
  'content-language', 'content-length', 'content-location', 'content-md5', 'content-range', 'content-type', 'date', 'etag',
  'expect', 'expires', 'from', 'host', 'if-match', 'if-modified-since', 'if-none-match', 'if-range', 'if-unmodified-since',
  'last-modified', 'location', 'max-forwards', 'pragma', 'proxy-authenticate', 'proxy-authorization', 'range', 'referer',
  'retry-after', 'server', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'user-agent', 'vary', 'via', 'warning',
  'www-authenticate', 'method', 'get', 'status', '200 OK', 'version', 'HTTP/1.1', 'url', 'public', 'set-cookie', 'keep-alive',
  'origin',
];
const DICTIONARY_TAIL =
  '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505' +
  '203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized' +
  '403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable' +
  'Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT' +
  'chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,' +
  'text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.';

export const SPDY3_DICTIONARY: Buffer = Buffer.concat([
  ...DICTIONARY_WORDS.flatMap((w) => [u32(w.length), Buffer.from(w, 'latin1')]),
  Buffer.from(DICTIONARY_TAIL, 'latin1'),
]);

/** Splits a byte stream into frames; feed it chunks as they arrive. */
export class FrameReader {
  private buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    const frames: Frame[] = [];
    while (this.buffer.length >= 8) {
      const length = this.buffer.readUIntBE(5, 3);
      if (this.buffer.length < 8 + length) break;
      const flags = this.buffer[4]!;
      const body = Buffer.from(this.buffer.subarray(8, 8 + length));
      if (this.buffer[0]! & 0x80) {
        frames.push({ control: true, version: this.buffer.readUInt16BE(0) & 0x7fff, type: this.buffer.readUInt16BE(2), flags, payload: body });
      } else {
        frames.push({ control: false, streamId: this.buffer.readUInt32BE(0) & 0x7fffffff, flags, data: body });
      }
      this.buffer = this.buffer.subarray(8 + length);
    }
    return frames;
  }
}

export function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  head.writeUInt16BE(type, 2);
  head[4] = flags;
  head.writeUIntBE(payload.length, 5, 3);
  return Buffer.concat([head, payload]);
}

export function dataFrame(streamId: number, data: Buffer, fin: boolean): Buffer {
  if (data.length > MAX_FRAME_PAYLOAD) throw new Error(`a data frame holds at most ${MAX_FRAME_PAYLOAD} bytes`);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(streamId & 0x7fffffff, 0);
  head[4] = fin ? FLAG_FIN : 0;
  head.writeUIntBE(data.length, 5, 3);
  return Buffer.concat([head, data]);
}

export type HeaderMap = Map<string, string[]>;

/** The uncompressed name/value block: a count, then length-prefixed names and values (several values joined by NUL). */
export function encodeHeaderBlock(headers: Iterable<[string, readonly string[]]>): Buffer {
  const entries = [...headers];
  const parts: Buffer[] = [u32(entries.length)];
  for (const [name, values] of entries) {
    const n = Buffer.from(name.toLowerCase(), 'utf8');
    const v = Buffer.from(values.join('\0'), 'utf8');
    parts.push(u32(n.length), n, u32(v.length), v);
  }
  return Buffer.concat(parts);
}

export function decodeHeaderBlock(block: Buffer): HeaderMap {
  const headers: HeaderMap = new Map();
  let at = 0;
  const take = (): Buffer => {
    if (at + 4 > block.length) throw new Error('truncated SPDY header block');
    const length = block.readUInt32BE(at);
    at += 4;
    if (at + length > block.length) throw new Error('truncated SPDY header block');
    const out = block.subarray(at, at + length);
    at += length;
    return out;
  };
  if (block.length < 4) throw new Error('truncated SPDY header block');
  const count = block.readUInt32BE(0);
  at = 4;
  for (let i = 0; i < count; i++) {
    const name = take().toString('utf8').toLowerCase();
    const values = take().toString('utf8').split('\0');
    headers.set(name, [...(headers.get(name) ?? []), ...values]);
  }
  return headers;
}

/**
 * Compresses outgoing header blocks: one zlib stream per connection and direction, as SPDY
 * requires. The blocks are written as stored (uncompressed) deflate blocks, which every inflater
 * reads and which need no compression state; the zlib header still names the SPDY dictionary
 * (FDICT with its Adler-32), so a peer that insists on it is satisfied.
 */
export class HeaderCompressor {
  private started = false;

  compress(block: Buffer): Buffer {
    const parts: Buffer[] = [];
    if (!this.started) {
      this.started = true;
      // CMF 0x78 (deflate, 32K window), FLG 0xbb (FDICT, level 2, check bits), then the dictionary id.
      parts.push(Buffer.from([0x78, 0xbb]), u32(adler32(SPDY3_DICTIONARY)));
    }
    for (let at = 0; at < block.length; at += 0xffff) {
      const piece = block.subarray(at, Math.min(block.length, at + 0xffff));
      parts.push(storedBlockHeader(piece.length), piece);
    }
    // An empty stored block ends each header block, as a zlib sync flush does: an inflater hands
    // out what it has only when it reaches the next block header (Go's compress/flate does).
    parts.push(storedBlockHeader(0));
    return Buffer.concat(parts);
  }
}

/**
 * Decompresses incoming header blocks. The peer's zlib stream continues across frames (a block may
 * refer back to earlier ones), and Node's synchronous inflate starts afresh on each call: so the
 * compressed bytes of the connection are kept and inflated whole each time, and the new output is
 * this block. A connection carries a handful of header blocks, so this stays cheap.
 */
export class HeaderDecompressor {
  private compressed: Buffer = Buffer.alloc(0);
  private produced = 0;

  decompress(payload: Buffer): Buffer {
    this.compressed = Buffer.concat([this.compressed, payload]);
    const all = inflateSync(this.compressed, { dictionary: SPDY3_DICTIONARY, finishFlush: zlibConstants.Z_SYNC_FLUSH });
    const block = all.subarray(this.produced);
    this.produced = all.length;
    return Buffer.from(block);
  }
}

/** BFINAL 0, BTYPE 00 (stored), then LEN and its ones' complement, little-endian. */
function storedBlockHeader(length: number): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt16LE(length, 1);
  head.writeUInt16LE(~length & 0xffff, 3);
  return head;
}

export function adler32(data: Buffer): number {
  let a = 1;
  let b = 0;
  for (let i = 0; i < data.length; i++) {
    a = (a + data[i]!) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

export function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
}
