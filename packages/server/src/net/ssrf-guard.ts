import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";

/**
 * The one guard for every outbound URL a configuration or an agent hands us (MCP servers over HTTP, A2A
 * agent cards): a URL may only reach public addresses, unless its owner opted in to private networks.
 * The host is resolved and EVERY address it resolves to is checked, so a name with one public and one
 * private record cannot slip through. Cloud metadata endpoints stay blocked even with the opt-in: no
 * legitimate MCP server or agent lives there, and they hand out credentials.
 */
export interface SsrfPolicy {
  /** Allow loopback, private (RFC 1918, ULA), link-local and CGNAT addresses. Metadata stays blocked. */
  allowPrivateNetwork?: boolean;
  /**
   * Exact origins (`http://127.0.0.1:4321`) admitted on loopback and private addresses although
   * `allowPrivateNetwork` is off: servers this process started itself (the demo's A2A agent), never a URL
   * someone typed. Metadata addresses stay blocked.
   */
  privateOrigins?: ReadonlySet<string>;
}

export class SsrfBlockedError extends Error {
  readonly code = "ssrf_blocked";
  constructor(message: string) {
    super(message);
    this.name = "SsrfBlockedError";
  }
}

const METADATA = new BlockList();
METADATA.addAddress("169.254.169.254"); // AWS, GCP, Azure, OpenStack
METADATA.addAddress("169.254.170.2"); // AWS ECS task credentials
METADATA.addAddress("100.100.100.200"); // Alibaba Cloud
METADATA.addAddress("fd00:ec2::254", "ipv6"); // AWS over IPv6

/** Addresses that are not on the public internet (or not unicast at all). */
const PRIVATE = new BlockList();
for (const [net, bits] of [
  ["0.0.0.0", 8], // "this network"
  ["10.0.0.0", 8],
  ["100.64.0.0", 10], // CGNAT
  ["127.0.0.0", 8],
  ["169.254.0.0", 16], // link-local
  ["172.16.0.0", 12],
  ["192.0.0.0", 24], // IETF protocol assignments
  ["192.168.0.0", 16],
  ["198.18.0.0", 15], // benchmarking
] as const) {
  PRIVATE.addSubnet(net, bits, "ipv4");
}
for (const [net, bits] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7], // unique local
  ["fe80::", 10], // link-local
] as const) {
  PRIVATE.addSubnet(net, bits, "ipv6");
}

/** Never reachable as a unicast peer, whatever the policy: multicast, broadcast, reserved. */
const NEVER = new BlockList();
NEVER.addSubnet("224.0.0.0", 4, "ipv4");
NEVER.addSubnet("240.0.0.0", 4, "ipv4"); // reserved, includes 255.255.255.255
NEVER.addSubnet("ff00::", 8, "ipv6");

/** IPv4 embedded in IPv6 (mapped ::ffff:a.b.c.d, NAT64 64:ff9b::/96): checked as the IPv4 it carries. */
function embeddedIpv4(address: string): string | undefined {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1];
  const nat64 = /^64:ff9b::(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (nat64) return nat64[1];
  // The hex forms (::ffff:7f00:1) are what URL parsing and DNS answers produce.
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (hex?.[1] && hex[2]) {
    const high = Number.parseInt(hex[1], 16);
    const low = Number.parseInt(hex[2], 16);
    return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  }
  return undefined;
}

/** Why `address` may not be contacted under `policy`, or undefined when it may. */
export function blockedReason(address: string, policy: SsrfPolicy = {}): string | undefined {
  const family = isIP(address);
  if (family === 0) return `"${address}" is not an IP address`;
  const v4 = family === 6 ? embeddedIpv4(address) : undefined;
  if (v4 !== undefined) return blockedReason(v4, policy);
  const type = family === 4 ? "ipv4" : "ipv6";
  if (METADATA.check(address, type)) return `${address} is a cloud metadata address`;
  if (NEVER.check(address, type)) return `${address} is not a unicast address`;
  if (!policy.allowPrivateNetwork && PRIVATE.check(address, type)) {
    return `${address} is a loopback, private or link-local address (set allowPrivateNetwork to allow it)`;
  }
  return undefined;
}

/**
 * Resolves `url`'s host and throws SsrfBlockedError unless the scheme is http(s) and every address is
 * allowed. Returns the addresses it checked.
 */
export async function assertAllowedUrl(url: string | URL, policy: SsrfPolicy = {}): Promise<string[]> {
  const parsed = typeof url === "string" ? new URL(url) : url;
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new SsrfBlockedError(`${parsed.protocol} URLs are not allowed (only http and https)`);
  }
  const effective = policy.privateOrigins?.has(parsed.origin) ? { allowPrivateNetwork: true } : policy;
  const host = parsed.hostname.replace(/^\[(.*)\]$/, "$1");
  let addresses: string[];
  if (isIP(host) !== 0) addresses = [host];
  else {
    try {
      addresses = (await lookup(host, { all: true, verbatim: true })).map((entry) => entry.address);
    } catch (error) {
      throw new SsrfBlockedError(
        `${host} does not resolve (${(error as NodeJS.ErrnoException).code ?? error})`,
      );
    }
  }
  if (addresses.length === 0) throw new SsrfBlockedError(`${host} does not resolve`);
  for (const address of addresses) {
    const reason = blockedReason(address, effective);
    if (reason) throw new SsrfBlockedError(`${parsed.host}: ${reason}`);
  }
  return addresses;
}

type Fetch = typeof fetch;

/**
 * A fetch that checks every request's URL with `assertAllowedUrl` first and refuses redirects (a redirect
 * is a second, unchecked destination). Limitation: the platform fetch resolves the name again itself, so a
 * DNS answer that changes between the check and the connection (rebinding with a zero TTL) is not caught;
 * pinning the checked address needs a dispatcher with its own lookup (undici's Agent), which is not a
 * dependency of the server today.
 */
export function guardedFetch(policy: SsrfPolicy = {}, base: Fetch = fetch): Fetch {
  return (async (input: Parameters<Fetch>[0], init?: Parameters<Fetch>[1]) => {
    const url = input instanceof Request ? input.url : input;
    await assertAllowedUrl(url, policy);
    return base(input, { ...init, redirect: "error" });
  }) as Fetch;
}
