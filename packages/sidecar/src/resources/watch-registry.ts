/**
 * One change feed per resource URI, however many listen to it: the first holder starts the watch, every holder
 * hears each change, and the last one to leave stops it. Legacy subscriptions and modern listens hold the same
 * entries, so a URI never costs the API server two watches. Pure: the starter is handed in.
 */

/** Starts the feed for a URI and resolves with the function that stops it. */
export type WatchStarter = (uri: string, changed: () => void) => Promise<() => void>;

export interface WatchRegistry {
  /** Holds the URI's feed until the returned release runs (releasing twice is harmless). */
  acquire(uri: string, onChanged: () => void): Promise<() => void>;
  /** The URIs whose feed is started or starting. */
  watched(): string[];
}

interface Entry {
  readonly holders: Set<() => void>;
  readonly started: Promise<() => void>;
}

export function createWatchRegistry(start: WatchStarter): WatchRegistry {
  const entries = new Map<string, Entry>();

  const open = (uri: string): Entry => {
    const holders = new Set<() => void>();
    const changed = () => {
      for (const holder of [...holders]) holder();
    };
    const started = start(uri, changed);
    const entry: Entry = { holders, started };
    // A feed that cannot start is forgotten, so the next holder tries again.
    started.catch(() => {
      if (entries.get(uri) === entry) entries.delete(uri);
    });
    entries.set(uri, entry);
    return entry;
  };

  const releaseOne = (uri: string, entry: Entry, holder: () => void) => {
    if (!entry.holders.delete(holder) || entry.holders.size > 0) return;
    if (entries.get(uri) === entry) entries.delete(uri);
    void entry.started.then((stop) => stop()).catch(() => undefined);
  };

  return {
    async acquire(uri, onChanged) {
      const entry = entries.get(uri) ?? open(uri);
      // Each acquire holds its own token, so one callback handed twice is still released twice.
      const holder = () => onChanged();
      entry.holders.add(holder);
      try {
        await entry.started;
      } catch (error) {
        entry.holders.delete(holder);
        throw error;
      }
      let released = false;
      return () => {
        if (released) return;
        released = true;
        releaseOne(uri, entry, holder);
      };
    },
    watched: () => [...entries.keys()],
  };
}
