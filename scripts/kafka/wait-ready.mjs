// Waits until a Kafka broker answers a metadata request (kafkajs admin
// describeCluster) and lists at least one broker. Used by start.sh.
//
//   node scripts/kafka/wait-ready.mjs <brokers> [timeoutSeconds] [pid]
//
// Exits 0 when ready, 1 on timeout, 2 when the given pid dies meanwhile.
import kafkajs from 'kafkajs';

const { Kafka, logLevel } = kafkajs;
const [brokersArg = '127.0.0.1:9092', timeoutArg = '60', pidArg] = process.argv.slice(2);
const brokers = brokersArg.split(',').map((b) => b.trim()).filter(Boolean);
const deadline = Date.now() + Number(timeoutArg) * 1000;
const pid = pidArg ? Number(pidArg) : undefined;

const alive = (p) => {
  try {
    process.kill(p, 0);
    return true;
  } catch {
    return false;
  }
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let lastError = 'no attempt made';
for (;;) {
  if (pid !== undefined && !alive(pid)) {
    console.error(`[kafka] broker process ${pid} exited while waiting for it`);
    process.exit(2);
  }
  const kafka = new Kafka({
    clientId: 'kafka-wait-ready',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    requestTimeout: 2000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin({ retry: { retries: 0 } });
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    if (cluster.brokers.length > 0) {
      await admin.disconnect().catch(() => {});
      console.error(`[kafka] broker ready: cluster ${cluster.clusterId}, brokers ${cluster.brokers.map((b) => `${b.host}:${b.port}`).join(',')}`);
      process.exit(0);
    }
    lastError = 'metadata response listed no brokers';
  } catch (err) {
    lastError = err instanceof Error ? err.message : String(err);
  }
  await admin.disconnect().catch(() => {});
  if (Date.now() >= deadline) {
    console.error(`[kafka] broker not ready after ${timeoutArg} s: ${lastError}`);
    process.exit(1);
  }
  await sleep(250);
}
