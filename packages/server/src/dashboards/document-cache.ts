import {
  CURRENT_SCHEMA_VERSION,
  type DashboardDocument,
  defaultDashboardState,
  loadDashboardState,
} from "@agentboard/protocol";
import type { DashboardKey, DashboardStore, DocumentVersion } from "./dashboard-store.js";

/** Documents kept parsed and validated in memory (each at most 256 KiB serialised). */
const RECENT_DOCUMENTS = 200;

const cacheKey = (key: DashboardKey) => `${key.workspaceId}\u0000${key.dashboardId}`;

/**
 * Recently loaded or written documents, least recently used first. Loading means parse + migrate +
 * validate (most of a write's CPU for a large document), so a document is reused while the store still
 * reports the same (rev, updatedAt). States are never mutated (patches copy on write), so sharing them is
 * safe.
 */
export class DocumentCache {
  private readonly recent = new Map<string, DashboardDocument>();

  constructor(private readonly store: DashboardStore) {}

  /** The document at `version` (as the store just reported it): the cached one while it is still current. */
  async load(key: DashboardKey, version: DocumentVersion | null): Promise<DashboardDocument> {
    const k = cacheKey(key);
    if (!version) {
      this.recent.delete(k);
      return {
        rev: 0,
        schemaVersion: CURRENT_SCHEMA_VERSION,
        updatedAt: null,
        state: defaultDashboardState(),
      };
    }
    const cached = this.recent.get(k);
    if (cached && cached.rev === version.rev && cached.updatedAt === version.updatedAt) {
      this.remember(key, cached);
      return cached;
    }
    const stored = await this.store.read(key);
    if (!stored) return this.load(key, await this.store.readVersion(key));
    const { state } = loadDashboardState(stored.state);
    const document = {
      rev: stored.rev,
      schemaVersion: state.schemaVersion,
      updatedAt: stored.updatedAt,
      state,
    };
    this.remember(key, document);
    return document;
  }

  /** A document this process just committed (or found current): the most recently used one now. */
  remember(key: DashboardKey, document: DashboardDocument): void {
    const k = cacheKey(key);
    this.recent.delete(k);
    this.recent.set(k, document);
    if (this.recent.size > RECENT_DOCUMENTS) this.recent.delete(this.recent.keys().next().value!);
  }

  clear(): void {
    this.recent.clear();
  }
}
