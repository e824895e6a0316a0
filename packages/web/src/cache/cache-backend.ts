/**
 * Where the dashboard cache lives. Values are strings (the codec's output), so IndexedDB and localStorage
 * behave the same. `keys()` lists only this app's keys; eviction never sees anything else.
 */
export interface CacheBackend {
  readonly name: "indexeddb" | "localstorage" | "memory";
  get(key: string): Promise<string | undefined>;
  /** Throws CacheQuotaError when the browser refuses for lack of space. */
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
  keys(): Promise<string[]>;
}

/** The browser is out of storage for this origin (QuotaExceededError, in any browser's spelling). */
export class CacheQuotaError extends Error {
  constructor(options?: { cause?: unknown }) {
    super("the browser's storage quota for this site is used up", options);
    this.name = "CacheQuotaError";
  }
}

export function isQuotaError(error: unknown): boolean {
  if (error instanceof CacheQuotaError) return true;
  if (typeof error !== "object" || error === null) return false;
  // A DOMException in browsers; older engines used legacy codes (22 WebKit/Blink, 1014 Firefox).
  const { name, code } = error as { name?: unknown; code?: unknown };
  return (
    name === "QuotaExceededError" || name === "NS_ERROR_DOM_QUOTA_REACHED" || code === 22 || code === 1014
  );
}

/** The prefix of every key this app writes; also the localStorage namespace. */
export const CACHE_KEY_PREFIX = "agentboard:cache:";

export const IDB_NAME = "agentboard";
export const IDB_STORE = "cache";

function promisify<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function openDatabase(factory: IDBFactory): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = factory.open(IDB_NAME, 1);
    request.onupgradeneeded = () => {
      if (!request.result.objectStoreNames.contains(IDB_STORE)) request.result.createObjectStore(IDB_STORE);
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
    request.onblocked = () => reject(new Error("the cache database is blocked by another tab"));
  });
}

export async function indexedDbBackend(factory: IDBFactory): Promise<CacheBackend> {
  const db = await openDatabase(factory);
  const run = async <T>(mode: IDBTransactionMode, action: (store: IDBObjectStore) => IDBRequest<T>) => {
    const tx = db.transaction(IDB_STORE, mode);
    const result = promisify(action(tx.objectStore(IDB_STORE)));
    // A write is only done when its transaction commits; quota errors surface as an abort.
    const done = new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onabort = () => reject(tx.error ?? new Error("the cache transaction was aborted"));
      tx.onerror = () => reject(tx.error ?? new Error("the cache transaction failed"));
    });
    const [value] = await Promise.all([result, done]);
    return value;
  };
  const wrapQuota = async <T>(work: () => Promise<T>) => {
    try {
      return await work();
    } catch (error) {
      throw isQuotaError(error) ? new CacheQuotaError({ cause: error }) : error;
    }
  };
  return {
    name: "indexeddb",
    get: async (key) => {
      const value: unknown = await run("readonly", (store) => store.get(key));
      return typeof value === "string" ? value : undefined;
    },
    set: (key, value) => wrapQuota(() => run("readwrite", (store) => store.put(value, key)).then(() => {})),
    delete: (key) => run("readwrite", (store) => store.delete(key)).then(() => {}),
    keys: async () => {
      const keys = await run("readonly", (store) => store.getAllKeys());
      return keys.filter((key): key is string => typeof key === "string" && key.startsWith(CACHE_KEY_PREFIX));
    },
  };
}

export function localStorageBackend(storage: Storage): CacheBackend {
  return {
    name: "localstorage",
    get: async (key) => storage.getItem(key) ?? undefined,
    set: async (key, value) => {
      try {
        storage.setItem(key, value);
      } catch (error) {
        throw isQuotaError(error) ? new CacheQuotaError({ cause: error }) : error;
      }
    },
    delete: async (key) => storage.removeItem(key),
    keys: async () => {
      const keys: string[] = [];
      for (let i = 0; i < storage.length; i++) {
        const key = storage.key(i);
        if (key?.startsWith(CACHE_KEY_PREFIX)) keys.push(key);
      }
      return keys;
    },
  };
}

export function memoryBackend(): CacheBackend {
  const map = new Map<string, string>();
  return {
    name: "memory",
    get: async (key) => map.get(key),
    set: async (key, value) => {
      map.set(key, value);
    },
    delete: async (key) => {
      map.delete(key);
    },
    keys: async () => [...map.keys()],
  };
}

/** IndexedDB when the browser has it (it may be disabled, e.g. in some private modes), else localStorage. */
export async function openCacheBackend(): Promise<CacheBackend> {
  try {
    if (typeof indexedDB !== "undefined") return await indexedDbBackend(indexedDB);
  } catch {
    // fall through to localStorage
  }
  try {
    if (typeof localStorage !== "undefined") return localStorageBackend(localStorage);
  } catch {
    // storage access can throw when cookies are blocked
  }
  return memoryBackend();
}
