/** A note widget as it stands in a dashboard's state (all stored fields), for PUT /state bodies and add ops. */
export function storedNote(id: string, markdown = id) {
  return {
    id,
    type: "note",
    title: id,
    props: { markdown },
    status: "ready",
    updatedAt: "2026-01-01T00:00:00Z",
    updatedBy: "test",
  };
}
