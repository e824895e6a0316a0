/**
 * Grey placeholder shapes in the layout of each widget type while its data loads. Sizes are set through
 * React's style prop, which writes CSSOM properties and so stays within a CSP without 'unsafe-inline'.
 */

function Bar({ width, tall = false }: { width: string; tall?: boolean }) {
  return <span className={tall ? "skeleton-bar skeleton-bar--tall" : "skeleton-bar"} style={{ width }} />;
}

export function LinesSkeleton({ lines = 4 }: { lines?: number }) {
  const widths = ["90%", "70%", "80%", "55%", "75%", "60%"];
  return (
    <div className="skeleton skeleton--lines">
      {Array.from({ length: lines }, (_, i) => (
        <Bar key={widths[i % widths.length]! + String(i)} width={widths[i % widths.length]!} />
      ))}
    </div>
  );
}

export function ProjectStatusSkeleton() {
  return (
    <div className="skeleton">
      <Bar width="60%" tall />
      <span className="skeleton-block skeleton-block--progress" />
      <Bar width="80%" />
      <Bar width="70%" />
    </div>
  );
}

export function MetricsSkeleton() {
  return (
    <div className="skeleton skeleton--tiles">
      {[0, 1, 2].map((i) => (
        <span key={i} className="skeleton-block skeleton-block--tile" />
      ))}
    </div>
  );
}

export function AlertSkeleton() {
  return (
    <div className="skeleton skeleton--alert">
      <span className="skeleton-block skeleton-block--icon" />
      <div className="skeleton skeleton--lines">
        <Bar width="85%" />
        <Bar width="50%" />
      </div>
    </div>
  );
}

export function ChartSkeleton() {
  return (
    <div className="skeleton skeleton--chart">
      {[40, 65, 50, 80, 60, 90, 70].map((height, i) => (
        <span key={`${height}-${String(i)}`} className="skeleton-column" style={{ height: `${height}%` }} />
      ))}
    </div>
  );
}

export function TableSkeleton() {
  return (
    <div className="skeleton skeleton--table">
      {[0, 1, 2, 3].map((row) => (
        <div key={row} className="skeleton-row">
          <Bar width="100%" />
          <Bar width="100%" />
          <Bar width="100%" />
        </div>
      ))}
    </div>
  );
}
