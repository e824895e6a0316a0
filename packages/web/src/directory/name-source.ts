import { createContext } from "react";
import { idOfRef, type ShownName } from "./names";

/** A hook that turns a principal reference (or, with `labels`, an agent's label) into what to show. */
export type NameHook = (ref: string, options?: { labels?: boolean }) => ShownName;

/** Without a directory (the MCP Apps view draws the same widgets): every reference shows as it is. */
const asWritten: NameHook = (ref) => ({ name: ref, id: idOfRef(ref).id, known: false });

/**
 * Where names come from. The web app provides the live directory's hook (`useShownName`); widgets and rows
 * only know this context, so surfaces without a signed-in client import no store and open no socket.
 */
export const NameSourceContext = createContext<NameHook>(asWritten);
