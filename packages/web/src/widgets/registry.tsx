import type { Widget, WidgetPropsByType, WidgetType } from "@agentboard/protocol";
import type { ComponentType } from "react";
import { ActivityWidget } from "./ActivityWidget";
import { AlertWidget } from "./AlertWidget";
import { ChartWidget } from "./ChartWidget";
import { MetricsWidget } from "./MetricsWidget";
import { NoteWidget } from "./NoteWidget";
import { ProjectStatusWidget } from "./ProjectStatusWidget";
import {
  AlertSkeleton,
  ChartSkeleton,
  LinesSkeleton,
  MetricsSkeleton,
  ProjectStatusSkeleton,
  TableSkeleton,
} from "./Skeleton";
import { TableWidget } from "./TableWidget";
import { TaskListWidget } from "./TaskListWidget";

export interface WidgetDefinition<K extends WidgetType> {
  /** Shown for the `ready` and `stale` statuses. */
  View: ComponentType<{ props: WidgetPropsByType[K]; title: string }>;
  /** Shown for `loading`: the shape of the content to come. */
  Skeleton: ComponentType;
  /** Props with nothing to show render the empty state even when the status says ready. */
  isEmpty(props: WidgetPropsByType[K]): boolean;
}

/** One entry per catalogue type; adding a type to the protocol without one here fails the typecheck. */
export const WIDGET_REGISTRY: { [K in WidgetType]: WidgetDefinition<K> } = {
  project_status: { View: ProjectStatusWidget, Skeleton: ProjectStatusSkeleton, isEmpty: () => false },
  task_list: {
    View: TaskListWidget,
    Skeleton: () => <LinesSkeleton lines={5} />,
    isEmpty: (p) => p.tasks.length === 0,
  },
  metrics: { View: MetricsWidget, Skeleton: MetricsSkeleton, isEmpty: (p) => p.items.length === 0 },
  alert: { View: AlertWidget, Skeleton: AlertSkeleton, isEmpty: (p) => p.message.trim() === "" },
  activity: {
    View: ActivityWidget,
    Skeleton: () => <LinesSkeleton lines={4} />,
    isEmpty: (p) => p.entries.length === 0,
  },
  chart: {
    View: ChartWidget,
    Skeleton: ChartSkeleton,
    isEmpty: (p) => p.series.every((series) => series.points.length === 0),
  },
  table: { View: TableWidget, Skeleton: TableSkeleton, isEmpty: (p) => p.rows.length === 0 },
  note: {
    View: NoteWidget,
    Skeleton: () => <LinesSkeleton lines={3} />,
    isEmpty: (p) => p.markdown.trim() === "",
  },
};

/** Renders a widget's content through its registry entry, keeping the type and props paired. */
export function WidgetContent({ widget }: { widget: Widget }) {
  return renderByType(widget);
}

function renderByType<K extends WidgetType>(widget: Extract<Widget, { type: K }>) {
  const definition = WIDGET_REGISTRY[widget.type] as WidgetDefinition<K>;
  const { View } = definition;
  return <View props={widget.props as WidgetPropsByType[K]} title={widget.title} />;
}

export function isWidgetEmpty(widget: Widget): boolean {
  const definition = WIDGET_REGISTRY[widget.type] as WidgetDefinition<WidgetType>;
  return definition.isEmpty(widget.props as never);
}

export function WidgetSkeleton({ type }: { type: WidgetType }) {
  const { Skeleton } = WIDGET_REGISTRY[type];
  return <Skeleton />;
}
