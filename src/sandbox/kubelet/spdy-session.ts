// The server side of one SPDY/3.1 connection after the HTTP upgrade: the peer opens streams
// (SYN_STREAM, odd ids), each is answered at once with SYN_REPLY and handed over; data frames feed
// the stream's `incoming`; PINGs are echoed; GOAWAY or the socket's end closes everything.
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { PassThrough } from 'node:stream';
import {
  FLAG_FIN,
  type Frame,
  FrameReader,
  FrameType,
  HeaderCompressor,
  HeaderDecompressor,
  type HeaderMap,
  RstStatus,
  controlFrame,
  dataFrame,
  decodeHeaderBlock,
  encodeHeaderBlock,
  u32,
} from './spdy.js';

/** Data frames we send are cut at this size. */
const CHUNK = 32 * 1024;

export class SpdyStream {
  /** What the peer sends on this stream; ends when the peer half-closes (FIN) or resets it. */
  readonly incoming = new PassThrough();
  private localClosed = false;
  remoteClosed = false;

  constructor(
    readonly id: number,
    readonly headers: HeaderMap,
    private readonly session: SpdySession,
  ) {}

  header(name: string): string | undefined {
    return this.headers.get(name.toLowerCase())?.[0];
  }

  /** Sends data, waiting while the socket is congested. */
  async write(data: Buffer): Promise<void> {
    if (this.localClosed) throw new Error(`SPDY stream ${this.id} is closed`);
    for (let at = 0; at < data.length; at += CHUNK) {
      await this.session.send(dataFrame(this.id, data.subarray(at, at + CHUNK), false));
    }
  }

  /** Half-closes our side (an empty data frame with FIN). */
  async end(): Promise<void> {
    if (this.localClosed) return;
    this.localClosed = true;
    await this.session.send(dataFrame(this.id, Buffer.alloc(0), true));
  }

  finishRemote(): void {
    if (this.remoteClosed) return;
    this.remoteClosed = true;
    this.incoming.end();
  }
}

export class SpdySession extends EventEmitter<{ stream: [SpdyStream]; close: [] }> {
  private readonly reader = new FrameReader();
  private readonly compressor = new HeaderCompressor();
  private readonly decompressor = new HeaderDecompressor();
  private readonly streams = new Map<number, SpdyStream>();
  private closed = false;

  constructor(private readonly socket: Duplex) {
    super();
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('end', () => this.close());
    socket.on('close', () => this.close());
    socket.on('error', () => this.close());
  }

  /** Writes raw frame bytes, resolving when the socket takes more. */
  send(bytes: Buffer): Promise<void> {
    if (this.closed || this.socket.destroyed) return Promise.reject(new Error('the SPDY connection is closed'));
    if (this.socket.write(bytes)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = (): void => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        if (this.closed) reject(new Error('the SPDY connection is closed'));
        else resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  /** Tells the peer we are done (GOAWAY) and closes the socket once it has the bytes. */
  goAway(): void {
    if (this.closed) return;
    const last = Math.max(0, ...this.streams.keys());
    this.socket.end(controlFrame(FrameType.GoAway, 0, Buffer.concat([u32(last), u32(0)])));
    this.close();
  }

  destroy(): void {
    this.socket.destroy();
    this.close();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.streams.values()) s.finishRemote();
    this.streams.clear();
    this.emit('close');
  }

  private receive(chunk: Buffer): void {
    let frames: Frame[];
    try {
      frames = this.reader.push(chunk);
    } catch {
      this.destroy();
      return;
    }
    for (const frame of frames) {
      try {
        if (frame.control) this.onControl(frame);
        else this.onData(frame.streamId, frame.flags, frame.data);
      } catch {
        // A frame we cannot read (bad header block): the zlib context is lost with it.
        this.destroy();
        return;
      }
    }
  }

  private onData(streamId: number, flags: number, data: Buffer): void {
    const stream = this.streams.get(streamId);
    if (!stream || stream.remoteClosed) return;
    if (data.length > 0 && !stream.incoming.write(data)) {
      // The consumer is slower than the peer: stop reading the socket until it catches up.
      this.socket.pause();
      stream.incoming.once('drain', () => this.socket.resume());
    }
    if (flags & FLAG_FIN) stream.finishRemote();
  }

  private onControl(frame: Extract<Frame, { control: true }>): void {
    const p = frame.payload;
    switch (frame.type) {
      case FrameType.SynStream: {
        const id = p.readUInt32BE(0) & 0x7fffffff;
        const headers = decodeHeaderBlock(this.decompressor.decompress(p.subarray(10)));
        if (id === 0 || this.streams.has(id)) {
          void this.send(controlFrame(FrameType.RstStream, 0, Buffer.concat([u32(id), u32(RstStatus.ProtocolError)]))).catch(() => undefined);
          return;
        }
        const stream = new SpdyStream(id, headers, this);
        this.streams.set(id, stream);
        // The peer waits for this reply before it opens the next stream or sends data on this one.
        const block = this.compressor.compress(encodeHeaderBlock([]));
        void this.send(controlFrame(FrameType.SynReply, 0, Buffer.concat([u32(id), block]))).catch(() => undefined);
        if (frame.flags & FLAG_FIN) stream.finishRemote();
        this.emit('stream', stream);
        return;
      }
      case FrameType.SynReply:
      case FrameType.Headers:
        // Replies to streams we never open, or extra headers: decompress all the same, so the
        // zlib context stays in step with the peer's.
        this.decompressor.decompress(p.subarray(4));
        return;
      case FrameType.RstStream: {
        const id = p.readUInt32BE(0) & 0x7fffffff;
        this.streams.get(id)?.finishRemote();
        this.streams.delete(id);
        return;
      }
      case FrameType.Ping:
        // Pings of the peer (odd ids from a client) are echoed unchanged.
        void this.send(controlFrame(FrameType.Ping, 0, p)).catch(() => undefined);
        return;
      case FrameType.GoAway:
        this.socket.end();
        this.close();
        return;
      default:
        // SETTINGS, WINDOW_UPDATE and anything newer: nothing to do.
        return;
    }
  }
}
