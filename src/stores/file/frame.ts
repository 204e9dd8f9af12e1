import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import * as zlib from 'node:zlib';

/**
 * Record framing shared by journals and snapshots:
 * `magic (u32 LE) | payload length (u32 LE) | CRC-32 of payload (u32 LE) | payload`.
 * The magic lets recovery find the next record boundary after a damaged one, which is how a torn
 * tail (nothing valid after it) is told apart from corruption in the middle (valid records follow).
 */
export const FRAME_MAGIC = 0x31_52_4c_54; // 'TLR1' little-endian
/** Bytes before a frame's payload: magic, length, CRC-32. */
export const HEADER_BYTES = 12;
/** A length above this is damage, not a record (a batch is a few KB; a snapshot chunk a few MB). */
export const MAX_PAYLOAD = 256 * 1024 * 1024;

const table = new Int32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c;
});

function crc32Table(data: Uint8Array): number {
  let crc = -1;
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

/** CRC-32 (IEEE): node:zlib's native one where the Node version has it (20.15+), else a table. */
export const crc32: (data: Uint8Array) => number =
  typeof (zlib as { crc32?: unknown }).crc32 === 'function' ? (data) => zlib.crc32(data) : crc32Table;

/** Frames one payload. */
export function encodeFrame(payload: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  frame.writeUInt32LE(FRAME_MAGIC, 0);
  frame.writeUInt32LE(payload.length, 4);
  frame.writeUInt32LE(crc32(payload), 8);
  payload.copy(frame, HEADER_BYTES);
  return frame;
}

/** Why a frame could not be read at some offset. */
export type FrameProblem =
  | 'short header'
  | 'bad magic'
  | 'bad length'
  | 'short payload'
  | 'checksum mismatch';

/** Checks the frame starting at `at` inside `buf`; returns its end, or the problem. */
export function checkFrame(buf: Buffer, at: number): number | FrameProblem {
  if (buf.length - at < HEADER_BYTES) return 'short header';
  if (buf.readUInt32LE(at) !== FRAME_MAGIC) return 'bad magic';
  const length = buf.readUInt32LE(at + 4);
  if (length === 0 || length > MAX_PAYLOAD) return 'bad length';
  const end = at + HEADER_BYTES + length;
  if (end > buf.length) return 'short payload';
  if (crc32(buf.subarray(at + HEADER_BYTES, end)) !== buf.readUInt32LE(at + 8)) return 'checksum mismatch';
  return end;
}

/** The outcome of scanning a file: where the valid records end, and the first damage if any. */
export interface ScanResult {
  /** Byte offset just past the last valid record (where appending continues). */
  end: number;
  size: number;
  damage?: { offset: number; problem: FrameProblem };
}

const BLOCK = 8 * 1024 * 1024;

async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buf, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done === length ? buf : buf.subarray(0, done);
}

/**
 * Reads every valid frame of a file in order, calling `onFrame` with its payload (a view valid
 * only during the call) and offset, and stops at the first damaged frame.
 */
export async function scanFrames(
  path: string,
  onFrame: (payload: Buffer, offset: number) => void,
): Promise<ScanResult> {
  const handle = await open(path, 'r');
  try {
    const size = (await handle.stat()).size;
    let base = 0; // file offset of buf[0]
    let buf = Buffer.alloc(0);
    let at = 0; // offset inside buf
    for (;;) {
      const result = checkFrame(buf, at);
      if (typeof result === 'number') {
        onFrame(buf.subarray(at + HEADER_BYTES, result), base + at);
        at = result;
        continue;
      }
      const more = base + buf.length < size && (result === 'short header' || result === 'short payload');
      if (!more) {
        const end = base + at;
        return end === size ? { end, size } : { end, size, damage: { offset: end, problem: result } };
      }
      const need = result === 'short payload' ? HEADER_BYTES + buf.readUInt32LE(at + 4) : HEADER_BYTES;
      const chunk = await readAt(handle, base + buf.length, Math.max(BLOCK, need));
      buf = Buffer.concat([buf.subarray(at), chunk]);
      base += at;
      at = 0;
    }
  } finally {
    await handle.close();
  }
}

/** Whether any valid frame starts after `offset` in the file (damage in the middle vs a torn tail). */
export async function hasValidFrameAfter(path: string, offset: number): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const size = (await handle.stat()).size;
    const rest = await readAt(handle, offset, size - offset);
    const magic = Buffer.allocUnsafe(4);
    magic.writeUInt32LE(FRAME_MAGIC, 0);
    for (let at = rest.indexOf(magic, 1); at >= 0; at = rest.indexOf(magic, at + 1)) {
      if (typeof checkFrame(rest, at) === 'number') return true;
    }
    return false;
  } finally {
    await handle.close();
  }
}
