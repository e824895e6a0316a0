import type { WidgetPropsByType } from "@agentboard/protocol";
import { useMemo } from "react";
import { renderMarkdown } from "../markdown/render-markdown";

export function NoteWidget({ props }: { props: WidgetPropsByType["note"] }) {
  const html = useMemo(() => renderMarkdown(props.markdown), [props.markdown]);
  return (
    // renderMarkdown escapes raw HTML (micromark) and sanitises the result with DOMPurify and our link rule.
    // biome-ignore lint/security/noDangerouslySetInnerHtml: sanitised markdown, see render-markdown.ts
    <div className="note" dangerouslySetInnerHTML={{ __html: html }} />
  );
}
