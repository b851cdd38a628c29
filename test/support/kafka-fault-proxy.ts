/**
 * A TCP proxy in front of the real single-node broker that can make the broker's answer to a
 * Produce request say that it failed with a given error code (OUT_OF_ORDER_SEQUENCE_NUMBER,
 * UNKNOWN_PRODUCER_ID, INVALID_PRODUCER_EPOCH, ...). Everything else passes through untouched,
 * and the broker really did write the records: only the client's view is changed. It counts
 * the InitProducerId requests it sees, i.e. how many producer ids clients asked for.
 *
 *   const proxy = await startKafkaFaultProxy('127.0.0.1:9092');
 *   new Kafka({ brokers: ['127.0.0.1:9092'], socketFactory: proxy.socketFactory });
 *   proxy.failNextProduce(45);
 */
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import type { ISocketFactory } from 'kafkajs';

const PRODUCE = 0;
const INIT_PRODUCER_ID = 22;

export interface KafkaFaultProxy {
  /** Routes every connection kafkajs opens (to any broker address) through the proxy. */
  readonly socketFactory: ISocketFactory;
  /** The next Produce response reports `errorCode` for every partition. */
  failNextProduce(errorCode: number): void;
  readonly stats: { initProducerIdRequests: number; produceRequests: number; faultsInjected: number };
  close(): Promise<void>;
}

/** Calls `onFrame` with each complete size-prefixed Kafka frame (without its size) as it arrives. */
function frames(onFrame: (frame: Buffer) => Buffer): (chunk: Buffer) => Buffer[] {
  let pending = Buffer.alloc(0);
  return (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    const out: Buffer[] = [];
    while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
      const size = pending.readInt32BE(0);
      out.push(pending.subarray(0, 4), onFrame(Buffer.from(pending.subarray(4, 4 + size))));
      pending = pending.subarray(4 + size);
    }
    return out;
  };
}

/**
 * Sets the error code of every partition of a Produce response, versions 3–8 (kafkajs speaks
 * 7): correlation id, then [topic name, [partition, error_code, base_offset, log_append_time,
 * log_start_offset (v5+), ...]]. Later versions are flexible and not handled.
 */
function setProduceErrors(frame: Buffer, version: number, errorCode: number): void {
  if (version < 3 || version > 7) throw new Error(`Produce v${version} responses are not handled`);
  const partitionBytes = 4 + 2 + 8 + 8 + (version >= 5 ? 8 : 0);
  let at = 4; // correlation id
  const topics = frame.readInt32BE(at);
  at += 4;
  for (let t = 0; t < topics; t++) {
    at += 2 + frame.readInt16BE(at);
    const partitions = frame.readInt32BE(at);
    at += 4;
    for (let p = 0; p < partitions; p++) {
      frame.writeInt16BE(errorCode, at + 4);
      at += partitionBytes;
    }
  }
}

export async function startKafkaFaultProxy(broker: string): Promise<KafkaFaultProxy> {
  const [host, port] = [broker.slice(0, broker.lastIndexOf(':')), Number(broker.slice(broker.lastIndexOf(':') + 1))];
  const stats = { initProducerIdRequests: 0, produceRequests: 0, faultsInjected: 0 };
  const armed: number[] = [];
  const sockets = new Set<Socket>();

  const server = createServer((client) => {
    const upstream = connect({ host, port });
    sockets.add(client).add(upstream);
    const produceVersions = new Map<number, number>(); // correlation id → Produce version, on this connection
    const requests = frames((frame) => {
      const apiKey = frame.readInt16BE(0);
      if (apiKey === INIT_PRODUCER_ID) stats.initProducerIdRequests++;
      if (apiKey === PRODUCE) {
        stats.produceRequests++;
        produceVersions.set(frame.readInt32BE(4), frame.readInt16BE(2));
      }
      return frame;
    });
    const responses = frames((frame) => {
      const version = produceVersions.get(frame.readInt32BE(0));
      if (version === undefined) return frame;
      produceVersions.delete(frame.readInt32BE(0));
      const errorCode = armed.shift();
      if (errorCode !== undefined) {
        setProduceErrors(frame, version, errorCode);
        stats.faultsInjected++;
      }
      return frame;
    });
    client.on('data', (chunk) => upstream.write(Buffer.concat(requests(chunk))));
    upstream.on('data', (chunk) => client.write(Buffer.concat(responses(chunk))));
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    for (const s of [client, upstream]) s.on('close', close).on('error', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxyPort = (server.address() as AddressInfo).port;

  return {
    socketFactory: ({ onConnect }) => {
      const socket = connect({ host: '127.0.0.1', port: proxyPort }, onConnect);
      socket.setKeepAlive(true, 60_000);
      return socket;
    },
    failNextProduce(errorCode) {
      armed.push(errorCode);
    },
    stats,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
