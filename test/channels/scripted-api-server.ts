import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the server received, exactly as it arrived. */
export interface RecordedRequest {
  method: string;
  /** Path and query, e.g. `/bot123:ABC/sendMessage`. */
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

/** What the server answers one request with. */
export interface ScriptedResponse {
  status?: number;
  headers?: Record<string, string>;
  json?: unknown;
  body?: string;
}

/** A real HTTP server on 127.0.0.1 answering each request from a script, recording every request. */
export interface ScriptedApiServer {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/**
 * Starts a provider-shaped API on an ephemeral loopback port. `respond` gets each request and its
 * index (from 0) and returns the answer, so tests can script "429 then 200".
 */
export async function startScriptedApi(
  respond: (request: RecordedRequest, index: number) => ScriptedResponse,
): Promise<ScriptedApiServer> {
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      const request = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, json };
      requests.push(request);
      const answer = respond(request, requests.length - 1);
      const payload = answer.json !== undefined ? JSON.stringify(answer.json) : (answer.body ?? '');
      const type = answer.json !== undefined ? { 'content-type': 'application/json' } : {};
      res.writeHead(answer.status ?? 200, { ...type, ...answer.headers });
      res.end(payload);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
