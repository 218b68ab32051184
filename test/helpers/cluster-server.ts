/**
 * One server process for the multi-instance test (test/realtime-cluster.test.ts): the real app,
 * configured from the environment it is given, on a free port that it prints as `{"port": n}`.
 */
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/index.ts';

const app = await buildApp(loadConfig(process.env), { emailSender: false });
const address = await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`${JSON.stringify({ port: Number(new URL(address).port) })}\n`);
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
