/**
 * The baseline of `bench:api`: a bare Fastify 5 server on this machine, no plugins, no logger,
 * answering GET / with a small JSON object. Node runs this file directly (type stripping), so no
 * loader sits in the process. The port comes from PORT; it prints one line once it listens.
 */
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/', async () => ({ hello: 'world' }));

const port = Number(process.env.PORT ?? 0);
const address = await app.listen({ host: '127.0.0.1', port });
process.stdout.write(`hello world listening on ${address}\n`);

for (const signal of ['SIGTERM', 'SIGINT'] as const)
  process.once(signal, () => {
    void app.close().then(() => process.exit(0));
  });
