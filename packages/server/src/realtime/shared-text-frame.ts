import { WebSocket } from "ws";

/**
 * Fan-out sends one change to many sockets. `ws` frames every send anew and hands header and payload to the
 * socket as two chunks (a corked `writev` through Node's stream machinery), per subscriber. A frame built once
 * per change and written as one chunk costs less CPU per subscriber (`npm run bench:sync-fanout` reports server CPU per delivery). Server
 * frames are unmasked, so the bytes are the same for every subscriber.
 */
const framed = new WeakMap<Buffer, Buffer>();

/** The WebSocket text frame (FIN, opcode 1, unmasked) of a UTF-8 payload, built once per payload Buffer. */
export function sharedTextFrame(payload: Buffer): Buffer {
  let frame = framed.get(payload);
  if (frame) return frame;
  const length = payload.length;
  const header = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  frame = Buffer.allocUnsafe(header + length);
  frame[0] = 0x81;
  if (header === 2) {
    frame[1] = length;
  } else if (header === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt16BE(0, 2);
    frame.writeUIntBE(length, 4, 6);
  }
  payload.copy(frame, header);
  framed.set(payload, frame);
  return frame;
}

/** The parts of a `ws` WebSocket this writes around (private fields of ws 8; checked on every use). */
interface WsInternals {
  _socket?: { write(chunk: Buffer): boolean } | null;
  _sender?: { _state?: unknown } | null;
}

/**
 * A writer of shared text frames straight to the socket under a `ws` WebSocket, in order with the frames `ws`
 * itself writes; undefined when an extension (permessage-deflate) was negotiated, or when ws's private fields
 * are not what ws 8 has (an upgrade): the caller then sends through ws. Each write still checks that it is
 * exactly what ws would do: the connection is open and ws's sender is idle (state 0: nothing queued behind a
 * compression or a Blob read that the frame could overtake). It returns false when not, and writes nothing.
 */
export function sharedTextFrameWriter(socket: WebSocket): ((payload: Buffer) => boolean) | undefined {
  const internals = socket as unknown as WsInternals;
  // Extensions are negotiated in the handshake and never change afterwards (ws's getter builds a string).
  if (socket.extensions !== "" || !internals._sender || typeof internals._socket?.write !== "function")
    return undefined;
  return (payload) => {
    const { _socket: stream, _sender: sender } = internals;
    if (socket.readyState !== WebSocket.OPEN || !stream || sender?._state !== 0) return false;
    stream.write(sharedTextFrame(payload));
    return true;
  };
}
