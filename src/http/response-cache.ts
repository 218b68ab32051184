import type { FastifyReply } from 'fastify';
import { sendingKept, type KeptAnswer } from './compression.ts';

/**
 * Serialized answers of hot reads, each kept with the fingerprint of the rows it was made from.
 *
 * A read first asks the database for the fingerprint of what it would present (one small
 * statement, which also authorizes) and sends the kept text when it matches. Nothing is served
 * that the database does not confirm at that moment, so there is nothing to invalidate, no
 * staleness window, and instances need not tell each other about writes. What it saves is the
 * server's own work: reading every row, mapping, presenting and serializing them (most of a read's
 * CPU; the fingerprint is computed by PostgreSQL and comes back as one short string).
 *
 * Bounded by the characters of text it holds (each answer's compressed forms, kept with it by the
 * compression hook, add about a tenth); the least recently used answers go first.
 */
export class ResponseCache<T extends KeptAnswer> {
  readonly #entries = new Map<string, { fingerprint: string; value: T }>();
  #bytes = 0;

  constructor(private readonly maxBytes: number) {}

  /** The kept answer for `key`, only if it was made from rows with this fingerprint. */
  get(key: string, fingerprint: string): T | undefined {
    const entry = this.#entries.get(key);
    if (!entry || entry.fingerprint !== fingerprint) return undefined;
    // Most recently used last: Map keeps insertion order, so the oldest is first.
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry.value;
  }

  set(key: string, fingerprint: string, value: T): void {
    if (value.body.length > this.maxBytes / 4) return; // one answer never crowds out the rest
    this.delete(key);
    this.#entries.set(key, { fingerprint, value });
    this.#bytes += value.body.length;
    for (const [oldest, entry] of this.#entries) {
      if (this.#bytes <= this.maxBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= entry.value.body.length;
    }
  }

  delete(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    this.#bytes -= entry.value.body.length;
  }

  /**
   * The answer for `key`: the kept one if it was made from rows with `fingerprint`, else `make()`,
   * kept only if `fingerprintNow()` still gives the same fingerprint after it (so the text is the
   * rows the fingerprint describes, even when a write landed between the probe and the read).
   */
  async answer(
    key: string,
    fingerprint: string,
    make: () => Promise<T>,
    fingerprintNow: () => Promise<string | undefined>,
  ): Promise<T> {
    const kept = this.get(key, fingerprint);
    if (kept) return kept;
    const made = await make();
    if ((await fingerprintNow()) === fingerprint) this.set(key, fingerprint, made);
    return made;
  }
}

/** An answer to keep: the serialized text, and no encoded form yet. */
export function keptAnswer<T extends object>(body: string, extra: T): KeptAnswer & T {
  return { ...extra, body, encoded: {} };
}

/**
 * Sends text that is already the route's JSON (its own response serializer made it): Fastify sends
 * a string that has a content type as it is, without serializing it again. The compression hook
 * reuses (and keeps) the answer's encoded forms.
 */
export function sendSerialized(reply: FastifyReply, answer: KeptAnswer): void {
  sendingKept(reply, answer);
  void reply.type('application/json; charset=utf-8').send(answer.body);
}
