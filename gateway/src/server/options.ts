/**
 * Every option of the gateway server with its unit and default. docs/configuration.md ("Server
 * options") documents the same table.
 */
export interface ServerOptions {
  /** Largest request body accepted, bytes. Larger bodies get 413 before they are read in full. */
  bodyLimitBytes: number;
  /** After SIGTERM: how long in-flight requests and streams may take to finish, ms. */
  shutdownGraceMs: number;
  /**
   * After SIGTERM and before the listener closes: /readyz already fails but new requests are still
   * served, so load balancers can take the pod out of rotation first, ms.
   */
  shutdownDelayMs: number;
  /** Keep-alive idle timeout of caller connections, ms (above typical load-balancer idle timeouts of 60 s). */
  keepAliveTimeoutMs: number;
  /** Largest incoming `x-request-id` honoured; longer or oddly shaped ids are replaced. */
  maxRequestIdLength: number;
  /**
   * Time a caller has to send a whole request (headers and body), ms; then 408 and the connection
   * closes, so a client that stalls mid-body cannot hold a connection forever. Responses (streams
   * included) are not limited by it. Node's own default.
   */
  requestTimeoutMs: number;
}

export const SERVER_DEFAULTS: Readonly<ServerOptions> = Object.freeze({
  bodyLimitBytes: 20 * 1024 * 1024,
  shutdownGraceMs: 30_000,
  shutdownDelayMs: 0,
  keepAliveTimeoutMs: 65_000,
  maxRequestIdLength: 128,
  requestTimeoutMs: 300_000,
});
