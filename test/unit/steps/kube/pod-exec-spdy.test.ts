// The SPDY/3.1 framing the simulated kubelet speaks to the kube-apiserver (exec): frames split
// from any chunking, header blocks, the zlib header compression with the SPDY/3 dictionary in both
// directions (a real deflater's continuing stream in, stored blocks out), and a server session
// answering SYN_STREAM, data, FIN and PING as moby/spdystream expects.
import { Duplex } from 'node:stream';
import { constants, createDeflate, createInflate, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseExecRequest } from '../../../../src/sandbox/kubelet/exec-server.js';
import { SpdySession, type SpdyStream } from '../../../../src/sandbox/kubelet/spdy-session.js';
import {
  FLAG_FIN,
  type Frame,
  FrameReader,
  FrameType,
  HeaderCompressor,
  HeaderDecompressor,
  SPDY3_DICTIONARY,
  adler32,
  controlFrame,
  dataFrame,
  decodeHeaderBlock,
  encodeHeaderBlock,
  u32,
} from '../../../../src/sandbox/kubelet/spdy.js';

/** What Go's compress/zlib writer does for spdystream: one stream, the dictionary, a sync flush per block. */
function goLikeCompressor(): (block: Buffer) => Promise<Buffer> {
  const deflate = createDeflate({ dictionary: SPDY3_DICTIONARY });
  return (block) =>
    new Promise((resolve) => {
      deflate.write(block);
      deflate.flush(constants.Z_SYNC_FLUSH, () => {
        const out: Buffer[] = [];
        for (let c = deflate.read() as Buffer | null; c; c = deflate.read() as Buffer | null) out.push(c);
        resolve(Buffer.concat(out));
      });
    });
}

describe('SPDY/3 dictionary', () => {
  it('is the spec\'s: 1423 bytes, Adler-32 0xe3c6a7c2', () => {
    expect(SPDY3_DICTIONARY.length).toBe(1423);
    expect(adler32(SPDY3_DICTIONARY)).toBe(0xe3c6a7c2);
    expect(SPDY3_DICTIONARY.subarray(0, 11)).toEqual(Buffer.from([0, 0, 0, 7, ...Buffer.from('options')]));
    expect(SPDY3_DICTIONARY.subarray(-4).toString()).toBe('q=0.');
  });
});

describe('frames', () => {
  it('splits control and data frames whatever the chunking', () => {
    const bytes = Buffer.concat([
      controlFrame(FrameType.Ping, 0, u32(7)),
      dataFrame(3, Buffer.from('hello'), false),
      dataFrame(3, Buffer.alloc(0), true),
      controlFrame(FrameType.GoAway, 0, Buffer.concat([u32(3), u32(0)])),
    ]);
    for (const size of [1, 3, 8, 13, bytes.length]) {
      const reader = new FrameReader();
      const frames: Frame[] = [];
      for (let at = 0; at < bytes.length; at += size) frames.push(...reader.push(bytes.subarray(at, at + size)));
      expect(frames).toEqual([
        { control: true, version: 3, type: FrameType.Ping, flags: 0, payload: u32(7) },
        { control: false, streamId: 3, flags: 0, data: Buffer.from('hello') },
        { control: false, streamId: 3, flags: FLAG_FIN, data: Buffer.alloc(0) },
        { control: true, version: 3, type: FrameType.GoAway, flags: 0, payload: Buffer.concat([u32(3), u32(0)]) },
      ]);
    }
  });

  it('writes the control frame header as SPDY/3 lays it out', () => {
    expect(controlFrame(FrameType.SynReply, FLAG_FIN, Buffer.from([1, 2])).toString('hex')).toBe('8003000201000002' + '0102');
    expect(dataFrame(5, Buffer.from([9]), true).toString('hex')).toBe('0000000501000001' + '09');
  });

  it('header blocks: lower-case names, several values joined by NUL', () => {
    const block = encodeHeaderBlock([['StreamType', ['stdout']], ['x-multi', ['a', 'b']]]);
    expect(block.subarray(0, 4)).toEqual(u32(2));
    expect(decodeHeaderBlock(block)).toEqual(new Map([['streamtype', ['stdout']], ['x-multi', ['a', 'b']]]));
    expect(() => decodeHeaderBlock(block.subarray(0, block.length - 1))).toThrow('truncated SPDY header block');
  });
});

describe('header compression', () => {
  it('reads a continuing zlib stream made with the dictionary, block by block', async () => {
    const compress = goLikeCompressor();
    const decompressor = new HeaderDecompressor();
    const blocks = [
      encodeHeaderBlock([['streamtype', ['error']]]),
      encodeHeaderBlock([['streamtype', ['stdin']]]),
      encodeHeaderBlock([['streamtype', ['stdout']]]),
      encodeHeaderBlock([['streamtype', ['stderr']]]),
    ];
    for (const block of blocks) {
      const compressed = await compress(block);
      expect(decompressor.decompress(compressed)).toEqual(block);
    }
  });

  it('writes blocks every inflater reads at once: dictionary named once, each block ending in a sync marker', async () => {
    const compressor = new HeaderCompressor();
    const blocks = [encodeHeaderBlock([]), encodeHeaderBlock([['a', ['1']]]), encodeHeaderBlock([['b', ['x'.repeat(70_000)]]])];
    const out = blocks.map((b) => compressor.compress(b));
    expect(out[0]!.subarray(0, 6).toString('hex')).toBe('78bbe3c6a7c2');
    expect(out[1]!.subarray(0, 2).toString('hex')).not.toBe('78bb');
    for (const o of out) expect(o.subarray(-5).toString('hex')).toBe('000000ffff');
    expect(inflateSync(Buffer.concat(out), { dictionary: SPDY3_DICTIONARY, finishFlush: constants.Z_SYNC_FLUSH })).toEqual(Buffer.concat(blocks));
    // A streaming inflater hands out each block as soon as that block's bytes are in.
    const inflate = createInflate({ dictionary: SPDY3_DICTIONARY });
    let parts: Buffer[] = [];
    inflate.on('data', (c: Buffer) => parts.push(c));
    for (const [i, o] of out.entries()) {
      const got = await new Promise<Buffer>((resolve) => {
        inflate.write(o);
        inflate.flush(constants.Z_SYNC_FLUSH, () =>
          setImmediate(() => {
            resolve(Buffer.concat(parts));
            parts = [];
          }),
        );
      });
      expect(got).toEqual(blocks[i]);
    }
  });
});

/** A socket stand-in: what the session writes is collected; what the peer sends is pushed in. */
function fakeSocket(): { socket: Duplex; written: Buffer[]; frames(): Frame[] } {
  const written: Buffer[] = [];
  const socket = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      written.push(chunk);
      cb();
    },
  });
  return { socket, written, frames: () => new FrameReader().push(Buffer.concat(written)) };
}

describe('server session', () => {
  it('answers each SYN_STREAM with a SYN_REPLY, delivers data until FIN, echoes PING', async () => {
    const { socket, frames } = fakeSocket();
    const session = new SpdySession(socket);
    const streams: SpdyStream[] = [];
    session.on('stream', (s) => streams.push(s));
    const compress = goLikeCompressor();
    const syn = async (id: number, type: string): Promise<Buffer> =>
      controlFrame(FrameType.SynStream, 0, Buffer.concat([u32(id), u32(0), Buffer.from([0, 0]), await compress(encodeHeaderBlock([['streamtype', [type]]]))]));
    socket.push(Buffer.concat([await syn(1, 'error'), await syn(3, 'stdin')]));
    socket.push(Buffer.concat([dataFrame(3, Buffer.from('input'), false), dataFrame(3, Buffer.alloc(0), true), controlFrame(FrameType.Ping, 0, u32(1))]));
    await new Promise((r) => setImmediate(r));
    expect(streams.map((s) => [s.id, s.header('streamType')])).toEqual([
      [1, 'error'],
      [3, 'stdin'],
    ]);
    const received: Buffer[] = [];
    for await (const chunk of streams[1]!.incoming) received.push(chunk as Buffer);
    expect(Buffer.concat(received).toString()).toBe('input');

    await streams[0]!.write(Buffer.from('{"status":"Success"}'));
    await streams[0]!.end();
    const out = frames();
    const replies = out.filter((f): f is Extract<Frame, { control: true }> => f.control && f.type === FrameType.SynReply);
    expect(replies.map((f) => f.payload.readUInt32BE(0))).toEqual([1, 3]);
    // The replies' header blocks are one zlib stream, read back as empty blocks.
    const d = new HeaderDecompressor();
    for (const r of replies) expect(decodeHeaderBlock(d.decompress(r.payload.subarray(4)))).toEqual(new Map());
    expect(out.find((f) => f.control && f.type === FrameType.Ping)).toEqual({ control: true, version: 3, type: FrameType.Ping, flags: 0, payload: u32(1) });
    expect(out.filter((f) => !f.control)).toEqual([
      { control: false, streamId: 1, flags: 0, data: Buffer.from('{"status":"Success"}') },
      { control: false, streamId: 1, flags: FLAG_FIN, data: Buffer.alloc(0) },
    ]);
    session.destroy();
  });

  it('cuts large writes into frames the peer accepts', async () => {
    const { socket, frames } = fakeSocket();
    const session = new SpdySession(socket);
    const got = new Promise<SpdyStream>((r) => session.once('stream', r));
    const block = await goLikeCompressor()(encodeHeaderBlock([['streamtype', ['stdout']]]));
    socket.push(controlFrame(FrameType.SynStream, 0, Buffer.concat([u32(1), u32(0), Buffer.from([0, 0]), block])));
    const stream = await got;
    await stream.write(Buffer.alloc(100_000, 7));
    const data = frames().filter((f): f is Extract<Frame, { control: false }> => !f.control);
    expect(data.map((f) => f.data.length)).toEqual([32768, 32768, 32768, 1696]);
    session.destroy();
  });
});

describe('exec request', () => {
  it('reads the kubelet URL the API server sends', () => {
    const url = new URL('https://127.0.0.1:10250/exec/ns-a/pod-0/main?command=tar&command=cf&command=-&error=1&input=1&output=1');
    expect(parseExecRequest(url)).toEqual({ namespace: 'ns-a', pod: 'pod-0', container: 'main', command: ['tar', 'cf', '-'], stdin: true, stdout: true, stderr: true, tty: false });
    expect(parseExecRequest(new URL('https://x/exec/ns/p/c?command=sh&output=1&error=1&tty=1'))).toMatchObject({ stderr: false, tty: true });
    expect(parseExecRequest(new URL('https://x/attach/ns/p/c'))).toBeUndefined();
  });
});
