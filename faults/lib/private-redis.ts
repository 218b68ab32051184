import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { onCleanup } from './cleanup.ts';
import { freePort, waitFor } from './ports.ts';

/** Answers true when a Redis on `port` replies +PONG to PING. */
function pong(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.setTimeout(500, () => socket.destroy());
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      resolve(String(data).startsWith('+PONG'));
      socket.destroy();
    });
    socket.once('error', () => resolve(false));
    socket.once('close', () => resolve(false));
  });
}

export interface PrivateRedis {
  port: number;
  url: string;
  /** SIGKILL: the server vanishes with its data, as a crashed or OOM-killed Redis does. */
  kill(): Promise<void>;
  /** Starts a new server on the same port; resolves once it answers PING. */
  start(): Promise<void>;
}

/**
 * A redis-server of our own on a free port (never the machine's 6379, which others use), with no
 * persistence, owned and stopped by this run.
 */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let child: ChildProcess | null = null;
  const start = async () => {
    const server = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--daemonize',
        'no',
      ],
      { stdio: 'ignore' },
    );
    child = server;
    const exited = once(server, 'exit').then(() => false);
    const up = await Promise.race([waitFor(() => pong(port), 10_000), exited]);
    if (!up) throw new Error(`redis-server on port ${port} did not start`);
  };
  const kill = async () => {
    const server = child;
    child = null;
    if (!server || server.exitCode !== null || server.signalCode !== null) return;
    server.kill('SIGKILL');
    await once(server, 'exit');
  };
  await start();
  onCleanup(`redis-server :${port}`, kill);
  console.log(`  # private redis-server on 127.0.0.1:${port}`);
  return { port, url: `redis://127.0.0.1:${port}`, kill, start };
}
