import { EventEmitter } from 'eventemitter3';
import type { DeskEvent, DeskEventType } from '../model/events.js';
import type { DeskListener, Logger } from './types.js';

const ANY = '*';

/**
 * The desk's typed event bus. A listener that throws is logged and never breaks the operation
 * that emitted the event, nor the other listeners.
 */
export class DeskEmitter {
  private readonly emitter = new EventEmitter();
  constructor(private readonly logger: Logger) {}

  on<T extends DeskEventType>(type: T, listener: DeskListener<T>): () => void {
    this.emitter.on(type, listener);
    return () => this.emitter.off(type, listener);
  }

  once<T extends DeskEventType>(type: T, listener: DeskListener<T>): () => void {
    const off = this.on(type, (event) => {
      off();
      listener(event);
    });
    return off;
  }

  onAny(listener: (event: DeskEvent) => void): () => void {
    this.emitter.on(ANY, listener);
    return () => this.emitter.off(ANY, listener);
  }

  emit(events: readonly DeskEvent[]): void {
    for (const event of events) {
      this.dispatch(event.type, event);
      this.dispatch(ANY, event);
    }
  }

  private dispatch(type: string, event: DeskEvent): void {
    if (this.emitter.listenerCount(type) === 0) return;
    // eventemitter3's own emit stops at the first throwing listener; call each one guarded.
    for (const listener of this.emitter.listeners(type)) {
      try {
        (listener as (event: DeskEvent) => void)(event);
      } catch (error) {
        this.logger.error(`threadline: a ${event.type} listener threw`, error);
      }
    }
  }
}
