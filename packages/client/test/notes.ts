/** A note widget as a replica holds it (every stored field), for add ops and cached states. */
export function note(id: string, title = id, markdown = "") {
  return {
    id,
    type: "note",
    title,
    props: { markdown },
    status: "ready",
    updatedAt: "2026-01-01T00:00:00.000Z",
    updatedBy: "user:test",
  } as const;
}
