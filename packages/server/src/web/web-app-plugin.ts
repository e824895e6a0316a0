import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { registerWebApp } from "./web-app.js";

/** The built web app at `/` (and its client routes); last in the list, after every API route. */
async function webApp(app: FastifyInstance): Promise<void> {
  if (registerWebApp(app)) return;
  // Only a server run from sources without a build gets here (npm start/test build first); the API works.
  app.log.warn("the web app is not built (run npm run build); / answers with how to build it");
  app.get("/", { schema: { hide: true } }, async (_request, reply) =>
    reply
      .status(503)
      .type("text/plain")
      .send("agentboard: the web app is not built. Run `npm run build` (or `npm start`), then reload.\n"),
  );
}

export const webAppPlugin = fp(webApp, { name: "agentboard-web" });
