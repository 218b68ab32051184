import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';

export type MessageHandler = (message: string) => void;

/** Fan-out between instances: one publish reaches every subscriber on every instance. */
export interface PubSub {
  publish(channel: string, message: string): Promise<void>;
  /** Returns a function that removes this handler. */
  subscribe(channel: string, handler: MessageHandler): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** Single-process pub/sub; delivery is asynchronous like Redis so callers cannot rely on ordering tricks. */
export class MemoryPubSub implements PubSub {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  async publish(channel: string, message: string): Promise<void> {
    queueMicrotask(() => this.emitter.emit(channel, message));
  }

  async subscribe(channel: string, handler: MessageHandler): Promise<() => Promise<void>> {
    this.emitter.on(channel, handler);
    return async () => {
      this.emitter.off(channel, handler);
    };
  }

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
  }
}

/**
 * Redis pub/sub. A subscribed connection cannot run other commands, so this owns a duplicate of
 * the command connection; channels are prefixed like keys so test runs and apps never cross.
 */
export class RedisPubSub implements PubSub {
  private readonly handlers = new Map<string, Set<MessageHandler>>();
  private readonly subscriber: Redis;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    this.subscriber = redis.duplicate({ enableOfflineQueue: true });
    this.subscriber.on('error', () => undefined);
    this.subscriber.on('message', (channel: string, message: string) => {
      const set = this.handlers.get(channel.slice(this.prefix.length));
      if (set) for (const handler of set) handler(message);
    });
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.redis.publish(this.prefix + channel, message);
  }

  async subscribe(channel: string, handler: MessageHandler): Promise<() => Promise<void>> {
    let set = this.handlers.get(channel);
    if (!set) {
      set = new Set();
      this.handlers.set(channel, set);
      await this.subscriber.subscribe(this.prefix + channel);
    }
    set.add(handler);
    return async () => {
      const current = this.handlers.get(channel);
      if (!current) return;
      current.delete(handler);
      if (current.size === 0) {
        this.handlers.delete(channel);
        await this.subscriber.unsubscribe(this.prefix + channel).catch(() => undefined);
      }
    };
  }

  async close(): Promise<void> {
    this.handlers.clear();
    this.subscriber.disconnect();
  }
}
