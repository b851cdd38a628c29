// Module declaration for the kafkajs internal patched by lib/kafka/kafkajs-encoder.ts.
declare module 'kafkajs/src/protocol/encoder.js' {
  const Encoder: unknown;
  export default Encoder;
}
