/**
 * The layering rules of docs/architecture.md ("Layering"), checked by `npm run lint:layers` (part of
 * `npm test`) and by packages/server/test/architecture/layering.test.ts, which also shows that a wrong import fails.
 *
 * Only source files are checked, not tests: tests and their shared helpers (@agentboard/test-support) may
 * reach into a package's internals, and product sources may never import those helpers. Type-only imports
 * count: a domain file that names an HTTP type still depends on HTTP.
 */

/** Capability and domain folders of the server: none of them may import `http/` (the HTTP edge). */
const SERVER_DOMAIN = "^packages/server/src/(?!http/|app\\.ts|runtime/|cli)[^/]+/";
const TESTS = "\\.test\\.tsx?$|/test/|/__fixtures__/";

/**
 * Folder cycles tolerated for now, as regexes of the folder that closes the cycle (from.pathNot). None
 * today: the bus moved to events/ and the event types to the capabilities that own them, which removed
 * dashboards <-> realtime. A cycle the capability-plugin step will remove goes here with a comment saying
 * which and why, never silently.
 */
const KNOWN_FOLDER_CYCLES = [];

module.exports = {
  forbidden: [
    {
      name: "protocol-imports-nothing-of-ours",
      comment: "protocol is the shared vocabulary: no I/O, no client, no server, no web",
      severity: "error",
      from: { path: "^packages/protocol/src/", pathNot: TESTS },
      to: { path: "^(packages/(client|server|web)/|@agentboard/(client|server|web))" },
    },
    {
      name: "client-imports-only-protocol",
      comment: "the SDK runs in browsers and Node; it knows the protocol, never the server or the web app",
      severity: "error",
      from: { path: "^packages/client/src/", pathNot: TESTS },
      to: { path: "^(packages/(server|web)/|@agentboard/(server|web))" },
    },
    {
      name: "web-imports-only-client-and-protocol",
      comment: "the web app talks to the server only through @agentboard/client",
      severity: "error",
      from: { path: "^packages/web/src/", pathNot: TESTS },
      to: { path: "^(packages/server/|@agentboard/server)" },
    },
    {
      name: "no-product-imports-test-support",
      comment:
        "@agentboard/test-support is the tests' harness (private, never published); product code never needs it",
      severity: "error",
      from: { path: "^packages/(protocol|client|server|web)/src/", pathNot: TESTS },
      to: { path: "^(packages/test-support/|@agentboard/test-support)" },
    },
    {
      name: "no-domain-imports-http",
      comment:
        "services, stores, the bus and the realtime hub throw AgentboardError (server/src/errors); only the " +
        "HTTP edge (http/, app.ts, runtime/) knows HTTP, and http/error-handler.ts maps errors once",
      severity: "error",
      from: { path: SERVER_DOMAIN, pathNot: TESTS },
      to: { path: "^packages/server/src/http/" },
    },
    {
      name: "no-cycles-between-server-folders",
      comment:
        "capability folders depend on each other one way (e.g. dashboards -> events, never back); a cycle " +
        "means two capabilities cannot be loaded, tested or removed on their own",
      severity: "error",
      scope: "folder",
      // Folders at any depth (mcp/server and dashboards are two folders); the root files (app.ts, cli.ts,
      // config.ts, index.ts) compose the capabilities and are not one of them.
      from: {
        path: "^packages/server/src/[^/]+",
        ...(KNOWN_FOLDER_CYCLES.length > 0 ? { pathNot: KNOWN_FOLDER_CYCLES.join("|") } : {}),
      },
      to: { path: "^packages/server/src/[^/]+", circular: true },
    },
    {
      name: "no-module-cycles",
      comment: "import cycles between files make load order matter and hide layering mistakes",
      severity: "error",
      from: { path: "^packages/[^/]+/src/", pathNot: TESTS },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(^|/)(dist|node_modules)/|\\.tsbuildinfo$" },
    includeOnly: "^packages/[^/]+/src/",
    tsPreCompilationDeps: true,
    // Its `paths` map @agentboard/* to the packages' sources, so imports between packages are checked
    // without a build (and a missing build cannot hide one).
    tsConfig: { fileName: "tsconfig.tests.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
    },
  },
};
