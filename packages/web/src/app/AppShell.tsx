import { useEffect, useState } from "react";
import { resetApprovals } from "../approvals/approvals-store";
import { followApprovals } from "../approvals/follow-approvals";
import { InboxPage } from "../approvals/InboxPage";
import { PendingBadge, usePendingCount } from "../approvals/PendingBadge";
import type { DashboardCache } from "../cache/dashboard-cache";
import { DashboardPage } from "../dashboard/DashboardPage";
import { DashboardSwitcher } from "../dashboard/DashboardSwitcher";
import { SyncIndicator } from "../dashboard/SyncIndicator";
import { syncStatusStore } from "../dashboard/sync-status";
import { followDirectory } from "../directory/directory-store";
import { HealthPage } from "../health/HealthPage";
import { type Route, useRoute } from "../lib/router";
import { loadIdentity, sessionEnded, signOut } from "../session/session-controller";
import { useSession } from "../session/session-store";
import { Link } from "./Link";
import { Notices } from "./Notices";

/** While the page runs offline, the first successful sync means the server is back: sign in properly. */
function useRecoverFromOffline() {
  const phase = useSession((state) => state.phase);
  useEffect(() => {
    if (phase !== "offline") return;
    return syncStatusStore.subscribe((state) => {
      if (state.status === "connected") void loadIdentity();
    });
  }, [phase]);
}

/** The approval feed runs while signed in, so the badge counts on every page. */
function useApprovalsFeed() {
  const signedIn = useSession((state) => state.phase === "signed-in");
  useEffect(() => {
    if (!signedIn) return;
    const stop = followApprovals();
    return () => {
      stop();
      resetApprovals();
    };
  }, [signedIn]);
}

/** Names (the agent directory, live) for every page while signed in. */
function useDirectoryFeed() {
  const signedIn = useSession((state) => state.phase === "signed-in");
  useEffect(() => (signedIn ? followDirectory() : undefined), [signedIn]);
}

function Nav({ route }: { route: Route }) {
  const pending = usePendingCount();
  return (
    <nav className="nav" aria-label="Main">
      <Link to="/" current={route.name === "dashboard"}>
        Dashboard
      </Link>
      <Link to="/inbox" current={route.name === "inbox"} aria-label={`Inbox, ${pending} pending`}>
        Inbox <PendingBadge />
      </Link>
      <Link to="/health" current={route.name === "health"}>
        Health
      </Link>
    </nav>
  );
}

export function AppShell({ cache }: { cache: DashboardCache | null }) {
  const route = useRoute();
  const identity = useSession((state) => state.identity);
  const phase = useSession((state) => state.phase);
  useRecoverFromOffline();
  useApprovalsFeed();
  useDirectoryFeed();
  // The last dashboard shown stays connected while other pages are open.
  const [dashboardId, setDashboardId] = useState(route.name === "dashboard" ? route.dashboardId : "me");
  useEffect(() => {
    if (route.name === "dashboard") setDashboardId(route.dashboardId);
  }, [route]);
  return (
    <div className="app">
      <header className="topbar">
        <span className="brand">agentboard</span>
        <Nav route={route} />
        {route.name === "dashboard" ? <DashboardSwitcher dashboardId={route.dashboardId} /> : null}
        <div className="topbar__end">
          <SyncIndicator />
          {identity ? (
            <span className="user" title={`workspace ${identity.workspaceName}`}>
              {identity.name}
            </span>
          ) : null}
          {phase === "signed-in" ? (
            <button type="button" className="button button--small" onClick={() => void signOut(cache)}>
              Sign out
            </button>
          ) : null}
        </div>
      </header>
      <Notices />
      {/* The dashboard stays connected on every page, so the sync indicator and the cache stay current. */}
      <div hidden={route.name !== "dashboard"}>
        <DashboardPage dashboardId={dashboardId} cache={cache} onRefused={sessionEnded} />
      </div>
      {route.name === "inbox" ? <InboxPage /> : null}
      {route.name === "health" ? <HealthPage /> : null}
      {route.name === "not-found" ? (
        <main className="not-found">
          <h1>Not found</h1>
          <p>
            Nothing lives at <code>{route.path}</code>. <Link to="/">Go to your dashboard</Link>.
          </p>
        </main>
      ) : null}
    </div>
  );
}
