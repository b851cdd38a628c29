/**
 * A TLS "Kafka broker" that speaks just enough of the protocol for a kafkajs client to reach
 * SASL authentication — ApiVersions, SaslHandshake, SaslAuthenticate — records the SASL bytes
 * the client sends (an MSK IAM token, a SCRAM client-first message) and refuses them with
 * SASL_AUTHENTICATION_FAILED. The certificate is self-signed, made with openssl on start.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type TLSSocket } from 'node:tls';

export interface FakeBroker {
  readonly port: number;
  /** Bodies of SaslAuthenticate requests, raw. */
  readonly saslAuthBodies: Buffer[];
  readonly mechanismsRequested: string[];
  connections: number;
  /** Client connections still open now. */
  readonly openSockets: number;
  close(): Promise<void>;
}

/** Whether openssl is there to make a certificate. */
export function canMakeCertificate(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function selfSignedCertificate(): { key: Buffer; cert: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'fake-broker-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const int16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
};
const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const str = (s: string | null) =>
  s === null ? int16(-1) : Buffer.concat([int16(Buffer.byteLength(s)), Buffer.from(s)]);

const API_VERSIONS = 18;
const SASL_HANDSHAKE = 17;
const SASL_AUTHENTICATE = 36;

export async function startFakeBroker(): Promise<FakeBroker> {
  const { key, cert } = selfSignedCertificate();
  const saslAuthBodies: Buffer[] = [];
  const mechanismsRequested: string[] = [];
  const sockets = new Set<Socket>();
  const state = { connections: 0 };

  const respond = (socket: TLSSocket, correlationId: number, body: Buffer) => {
    const payload = Buffer.concat([int32(correlationId), body]);
    socket.write(Buffer.concat([int32(payload.length), payload]));
  };

  const server = createServer({ key, cert }, (socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
        const frame = pending.subarray(4, 4 + pending.readInt32BE(0));
        pending = pending.subarray(4 + frame.length);
        const apiKey = frame.readInt16BE(0);
        const apiVersion = frame.readInt16BE(2);
        const correlationId = frame.readInt32BE(4);
        const clientIdLength = frame.readInt16BE(8);
        const body = frame.subarray(10 + Math.max(0, clientIdLength));
        if (apiKey === API_VERSIONS) {
          const versions = [
            [API_VERSIONS, 0, 2],
            [SASL_HANDSHAKE, 0, 1],
            [SASL_AUTHENTICATE, 0, 1],
          ];
          const list = Buffer.concat([
            int32(versions.length),
            ...versions.map(([k, min, max]) => Buffer.concat([int16(k!), int16(min!), int16(max!)])),
          ]);
          respond(socket, correlationId, Buffer.concat([int16(0), list, ...(apiVersion >= 1 ? [int32(0)] : [])]));
        } else if (apiKey === SASL_HANDSHAKE) {
          mechanismsRequested.push(body.subarray(2, 2 + body.readInt16BE(0)).toString());
          const mechanisms = ['OAUTHBEARER', 'SCRAM-SHA-512', 'SCRAM-SHA-256', 'PLAIN'];
          respond(socket, correlationId, Buffer.concat([int16(0), int32(mechanisms.length), ...mechanisms.map(str)]));
        } else if (apiKey === SASL_AUTHENTICATE) {
          saslAuthBodies.push(Buffer.from(body));
          const reply = [int16(58), str('Authentication failed (fake broker refuses everyone)'), int32(0)];
          if (apiVersion >= 1) reply.push(Buffer.alloc(8));
          respond(socket, correlationId, Buffer.concat(reply));
        } else {
          socket.destroy();
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    saslAuthBodies,
    mechanismsRequested,
    get connections() {
      return state.connections;
    },
    set connections(n: number) {
      state.connections = n;
    },
    get openSockets() {
      return sockets.size;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
