/** A minimal typed event emitter (eventemitter3 would cost a kilobyte of the client's budget). */
export interface Emitter<Events> {
  on<K extends keyof Events>(event: K, listener: (value: Events[K]) => void): () => void;
  emit<K extends keyof Events>(event: K, value: Events[K]): void;
}

/** Makes an {@link Emitter}. A listener that throws does not stop the others; its error is rethrown async. */
export function createEmitter<Events>(): Emitter<Events> {
  const listeners = new Map<keyof Events, Set<(value: never) => void>>();
  return {
    on(event, listener) {
      const set = listeners.get(event) ?? new Set();
      listeners.set(event, set);
      set.add(listener);
      return () => set.delete(listener);
    },
    emit(event, value) {
      for (const listener of listeners.get(event) ?? []) {
        try {
          (listener as (value: unknown) => void)(value);
        } catch (error) {
          queueMicrotask(() => {
            throw error;
          });
        }
      }
    },
  };
}
