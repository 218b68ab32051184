import net from 'node:net';

/** A TCP port nothing listens on right now (for a server that cannot be told to take port 0). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` every `everyMs` until it returns true or `ms` pass; returns whether it did. */
export async function waitFor(
  check: () => Promise<boolean> | boolean,
  ms: number,
  everyMs = 100,
): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      if (await check()) return true;
    } catch {
      // Not yet: the thing being waited for is still down.
    }
    if (Date.now() >= deadline) return false;
    await sleep(everyMs);
  }
}
