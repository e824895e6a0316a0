import type { JsonPatchOp } from "@agentboard/protocol";
import fc from "fast-check";

/** The widgets a random-edit board starts with; convergence tests seed one of each before editing. */
export const EDITED_WIDGETS = ["a", "b", "c"] as const;

const title = fc.record({
  kind: fc.constant("title" as const),
  widget: fc.constantFrom(...EDITED_WIDGETS),
  n: fc.nat(999),
});
const theme = fc.record({
  kind: fc.constant("theme" as const),
  theme: fc.constantFrom("light", "dark", "system"),
});
const task = fc.record({ kind: fc.constant("task" as const), n: fc.nat(999) });
const markdown = fc.record({
  kind: fc.constant("markdown" as const),
  widget: fc.constantFrom(...EDITED_WIDGETS),
});

/**
 * One random edit: a title, a theme, an appended task (appends to one list overlap each other) and, with
 * `markdown`, a prop written on a widget (a path under a widget another writer may be retitling).
 */
export function randomEdit(options: { markdown?: boolean } = {}): fc.Arbitrary<RandomEdit> {
  return options.markdown ? fc.oneof(title, theme, task, markdown) : fc.oneof(title, theme, task);
}

type EditedWidget = (typeof EDITED_WIDGETS)[number];
export type RandomEdit =
  | { kind: "title"; widget: EditedWidget; n: number }
  | { kind: "theme"; theme: "light" | "dark" | "system" }
  | { kind: "task"; n: number }
  | { kind: "markdown"; widget: EditedWidget };

/** The patch of one edit; `tag` names the writer and step so every value written is traceable. */
export function opsOfEdit(edit: RandomEdit, tag: string): JsonPatchOp[] {
  switch (edit.kind) {
    case "title":
      return [{ op: "replace", path: `/widgets/${edit.widget}/title`, value: `${tag}-${edit.n}` }];
    case "theme":
      return [{ op: "add", path: "/preferences/theme", value: edit.theme }];
    case "task":
      return [
        {
          op: "add",
          path: "/widgets/tasks/props/tasks/-",
          value: { id: `${tag}-${edit.n}`, title: tag, status: "todo" },
        },
      ];
    case "markdown":
      return [{ op: "add", path: `/widgets/${edit.widget}/props/markdown`, value: tag }];
  }
}
