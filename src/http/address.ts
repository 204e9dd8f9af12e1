/**
 * The network address each `Request` that `toNodeListener` built came from. A Fetch `Request` has
 * no remote address of its own, so the adapter records it here for the web-chat handler's
 * per-address limits. The address is the connection's (or Express's `req.ip`, which follows the
 * app's `trust proxy` setting), never a header a client can write.
 */
const addresses = new WeakMap<Request, string>();

/** Records the address `request` came from (by `toNodeListener`). */
export function rememberAddress(request: Request, address: string | undefined): void {
  if (address) addresses.set(request, address);
}

/** The connection's address of a request `toNodeListener` built; undefined for any other request. */
export function connectionAddress(request: Request): string | undefined {
  return addresses.get(request);
}

/** Headers a proxy or load balancer adds to say whom it forwards for. */
const FORWARDING_HEADERS = ['forwarded', 'x-forwarded-for', 'x-real-ip'] as const;

function internalV4(address: string): boolean {
  const octets = address.split('.').map(Number);
  if (octets.length !== 4 || octets.some((octet) => !Number.isInteger(octet))) return false;
  const [a, b] = octets as [number, number];
  return (
    a === 10 ||
    a === 127 ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 169 && b === 254) ||
    (a === 100 && b >= 64 && b <= 127) // shared address space, used by some load balancers
  );
}

/**
 * Whether an address is one a proxy in front of the app typically connects from: loopback,
 * private, link-local or shared (IPv4, also IPv4-mapped IPv6), or IPv6 loopback, unique-local or
 * link-local.
 */
export function isInternalAddress(address: string): boolean {
  const lower = address.toLowerCase();
  if (lower.startsWith('::ffff:')) return internalV4(lower.slice(7));
  if (!lower.includes(':')) return internalV4(lower);
  return lower === '::1' || /^f[cd]/.test(lower) || /^fe[89ab]/.test(lower);
}

/**
 * A check run on each request whose limits key on the connection's address: the first time one
 * comes from an internal address with a forwarding header, it calls `warn` with that address and
 * header (once): every visitor behind that proxy then shares one address's limits.
 */
export function proxyHint(warn: (address: string, header: string) => void) {
  let warned = false;
  return (request: Request, address: string | undefined): void => {
    if (warned || address === undefined || !isInternalAddress(address)) return;
    const header = FORWARDING_HEADERS.find((name) => request.headers.has(name));
    if (header === undefined) return;
    warned = true;
    warn(address, header);
  };
}
