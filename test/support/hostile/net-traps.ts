/**
 * Traps that prove no request left for a forbidden host: a TCP listener that records every
 * connection (and its first bytes), and a DNS stub that records every name the process asks
 * for and answers 127.0.0.1 for all of them — the worst case of attacker-controlled DNS
 * (`*.nip.io`, rebinding), so a name that slipped through would land on a trap.
 */
import dns from 'node:dns';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export interface TrapConnection {
  readonly at: number;
  readonly localAddress: string;
  firstBytes: string;
}

export interface Trap {
  readonly port: number;
  readonly connections: TrapConnection[];
  close(): Promise<void>;
}

/** A listener on 127.0.0.1 (and ::1 on the same port when the host has IPv6 loopback). */
export async function startTrap(): Promise<Trap> {
  const connections: TrapConnection[] = [];
  const sockets = new Set<Socket>();
  const onConnection = (socket: Socket) => {
    const entry: TrapConnection = {
      at: Date.now(),
      localAddress: `${socket.localAddress}:${socket.localPort}`,
      firstBytes: '',
    };
    connections.push(entry);
    sockets.add(socket);
    socket.on('data', (d) => {
      if (entry.firstBytes.length < 512)
        entry.firstBytes += d.toString('latin1').slice(0, 512 - entry.firstBytes.length);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    // Keep it open briefly so the request line arrives, then hang up.
    setTimeout(() => socket.destroy(), 50).unref();
  };
  const servers: Server[] = [];
  const v4 = createServer(onConnection);
  await new Promise<void>((resolve, reject) => v4.once('error', reject).listen(0, '127.0.0.1', resolve));
  servers.push(v4);
  const port = (v4.address() as AddressInfo).port;
  const v6 = createServer(onConnection);
  await new Promise<void>((resolve) =>
    v6
      .once('error', () => resolve())
      .listen(port, '::1', () => {
        servers.push(v6);
        resolve();
      }),
  );
  return {
    port,
    connections,
    close: async () => {
      for (const s of sockets) s.destroy();
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}

export interface DnsRecorder {
  /** Every hostname looked up through `dns.lookup` (which net/undici use), in order. */
  readonly lookups: string[];
  restore(): void;
}

/** Replaces `dns.lookup`: records the name and answers 127.0.0.1 for every name. */
export function interceptDns(): DnsRecorder {
  const original = dns.lookup;
  const lookups: string[] = [];
  (dns as any).lookup = function lookup(hostname: string, options: unknown, callback?: unknown) {
    const cb = (typeof options === 'function' ? options : callback) as (
      err: Error | null,
      address: unknown,
      family?: number,
    ) => void;
    const opts = (typeof options === 'object' && options !== null ? options : {}) as { all?: boolean };
    lookups.push(hostname);
    process.nextTick(() => (opts.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4)));
    return {};
  };
  return {
    lookups,
    restore: () => {
      (dns as any).lookup = original;
    },
  };
}
