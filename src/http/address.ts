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
