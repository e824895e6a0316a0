import type { Agent, Member, WidgetPropsByType } from "@agentboard/protocol";
import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { type NameHook, NameSourceContext } from "../directory/name-source";
import { indexNames, resolveName } from "../directory/names";
import { TaskListWidget } from "./TaskListWidget";

const agent: Agent = {
  id: "prn_bot",
  kind: "local",
  name: "deploy-bot",
  displayName: "Deploy Bot",
  skills: [],
  status: "unknown",
};
const member: Member = { id: "prn_ada", kind: "user", name: "ada", displayName: "Ada Lovelace" };
/** The web app's rule (the one the live directory hook applies) over a fixed directory. */
const directory: NameHook = (ref, options) => resolveName(indexNames([agent], [member]), ref, options);

const props: WidgetPropsByType["task_list"] = {
  tasks: [
    { id: "t1", title: "Ship", status: "todo", assignee: "prn_bot" },
    { id: "t2", title: "Review", status: "in_progress", assignee: "prn_ada" },
    // Free labels, even one that is an agent's name: only ids name a principal here.
    { id: "t3", title: "Docs", status: "done", assignee: "ana" },
    { id: "t4", title: "Tag", status: "todo", assignee: "deploy-bot" },
    { id: "t5", title: "Later", status: "blocked" },
  ],
};

/** Each task's assignee span: its text, tooltip and principal id (null when absent). */
function assignees(html: string) {
  return Array.from(
    html.matchAll(/<span class="task__assignee"([^>]*)>([^<]*)<\/span>/g),
    ([, attrs, text]) => ({
      text,
      title: /title="([^"]*)"/.exec(attrs!)?.[1] ?? null,
      principal: /data-principal-id="([^"]*)"/.exec(attrs!)?.[1] ?? null,
    }),
  );
}

describe("task list assignees", () => {
  it("name a known member's or agent's id by display name, the id underneath; other labels as written", () => {
    const html = renderToStaticMarkup(
      createElement(
        NameSourceContext.Provider,
        { value: directory },
        createElement(TaskListWidget, { props }),
      ),
    );
    expect(assignees(html)).toEqual([
      { text: "Deploy Bot", title: "prn_bot", principal: "prn_bot" },
      { text: "Ada Lovelace", title: "prn_ada", principal: "prn_ada" },
      { text: "ana", title: null, principal: null },
      { text: "deploy-bot", title: null, principal: null },
    ]);
  });

  it("show as written without a directory (the MCP Apps view)", () => {
    const html = renderToStaticMarkup(createElement(TaskListWidget, { props }));
    expect(assignees(html)).toEqual(
      ["prn_bot", "prn_ada", "ana", "deploy-bot"].map((text) => ({ text, title: null, principal: null })),
    );
  });
});
