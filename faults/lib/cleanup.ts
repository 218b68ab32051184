/**
 * Everything a fault run starts (servers, a private Redis or PostgreSQL, databases, temp dirs) is
 * registered here and undone in reverse order: at the end of each scenario, and also when the run
 * is interrupted (Ctrl-C, a CI time limit's SIGTERM), so nothing is left running or lying around.
 */
type Undo = () => Promise<void> | void;

const stack: { label: string; undo: Undo }[] = [];

/** Registers `undo`; returns a function that runs it now (once) and forgets it. */
export function onCleanup(label: string, undo: Undo): () => Promise<void> {
  const entry = { label, undo };
  stack.push(entry);
  return async () => {
    const index = stack.indexOf(entry);
    if (index < 0) return;
    stack.splice(index, 1);
    await undo();
  };
}

/** Undoes everything registered so far, newest first; failures are reported, not thrown. */
export async function cleanUpAll(): Promise<void> {
  while (stack.length > 0) {
    const { label, undo } = stack.pop()!;
    try {
      await undo();
    } catch (error) {
      console.error(`cleanup of ${label} failed:`, error instanceof Error ? error.message : error);
    }
  }
}

let interrupted = false;
/** On SIGINT/SIGTERM: clean up, then exit 130/143. */
export function cleanUpOnSignals(): void {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    process.on(signal, () => {
      if (interrupted) return;
      interrupted = true;
      console.error(`\n${signal}: cleaning up`);
      void cleanUpAll().finally(() => process.exit(code));
    });
  }
}
