import { useEffect, useState } from "react";
import type { CacheBackend } from "../cache/cache-backend";
import { DashboardCache } from "../cache/dashboard-cache";
import { useShownName } from "../directory/directory-store";
import { NameSourceContext } from "../directory/name-source";
import { startClock } from "../lib/clock-store";
import { SignedOutPage } from "../session/SignedOutPage";
import { bootSession } from "../session/session-controller";
import { useSession } from "../session/session-store";
import { AppShell } from "./AppShell";

/** The cache (opened by main.tsx before React starts) and the session load together. */
function useBoot(cacheBackend: Promise<CacheBackend>): { cache: DashboardCache | null; ready: boolean } {
  const [cache, setCache] = useState<DashboardCache | null>(null);
  const [cacheReady, setCacheReady] = useState(false);
  useEffect(() => {
    void cacheBackend
      .then((backend) => setCache(new DashboardCache(backend)))
      .catch(() => setCache(null))
      .finally(() => setCacheReady(true));
    void bootSession();
    return startClock();
  }, [cacheBackend]);
  return { cache, ready: cacheReady };
}

export function App({ cacheBackend }: { cacheBackend: Promise<CacheBackend> }) {
  const { cache, ready } = useBoot(cacheBackend);
  const phase = useSession((state) => state.phase);
  if (!ready || phase === "loading") {
    return (
      <div className="boot" role="status">
        Loading agentboard…
      </div>
    );
  }
  if (phase === "signed-out") return <SignedOutPage />;
  return (
    <NameSourceContext.Provider value={useShownName}>
      <AppShell cache={cache} />
    </NameSourceContext.Provider>
  );
}
