/**
 * A minimal OTLP/HTTP (protobuf) trace receiver for tests: collects the spans the pipeline
 * exports, decoded with a tiny protobuf reader (only the fields the tests look at).
 */
import http from "node:http";
import { gunzipSync } from "node:zlib";

export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
}

type Field = { no: number; wire: number; int: number; bytes: Buffer };

function varint(buf: Buffer, at: { o: number }): number {
  let result = 0;
  let mul = 1;
  for (;;) {
    const b = buf[at.o++];
    result += (b & 0x7f) * mul;
    if (b < 0x80) return result;
    mul *= 128;
  }
}

function* fields(buf: Buffer): Generator<Field> {
  const at = { o: 0 };
  while (at.o < buf.length) {
    const key = varint(buf, at);
    const no = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) yield { no, wire, int: varint(buf, at), bytes: Buffer.alloc(0) };
    else if (wire === 1 || wire === 5) {
      const n = wire === 1 ? 8 : 4;
      yield { no, wire, int: 0, bytes: buf.subarray(at.o, at.o + n) };
      at.o += n;
    } else if (wire === 2) {
      const n = varint(buf, at);
      yield { no, wire, int: 0, bytes: buf.subarray(at.o, at.o + n) };
      at.o += n;
    } else throw new Error(`unsupported wire type ${wire}`);
  }
}

const sub = (buf: Buffer, no: number) => [...fields(buf)].filter((f) => f.no === no).map((f) => f.bytes);

function serviceName(resource: Buffer): string {
  for (const kv of sub(resource, 1)) {
    const key = sub(kv, 1)[0]?.toString();
    if (key === "service.name") return sub(sub(kv, 2)[0] ?? Buffer.alloc(0), 1)[0]?.toString() ?? "";
  }
  return "";
}

/** ExportTraceServiceRequest -> spans. */
export function decodeTraces(body: Buffer): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of sub(body, 1)) {
    const service = serviceName(sub(rs, 1)[0] ?? Buffer.alloc(0));
    for (const ss of sub(rs, 2)) {
      for (const span of sub(ss, 2)) {
        const f = [...fields(span)];
        const get = (no: number) => f.find((x) => x.no === no);
        out.push({
          service,
          traceId: get(1)?.bytes.toString("hex") ?? "",
          spanId: get(2)?.bytes.toString("hex") ?? "",
          parentSpanId: get(4)?.bytes.toString("hex") ?? "",
          name: get(5)?.bytes.toString() ?? "",
          kind: get(6)?.int ?? 0,
        });
      }
    }
  }
  return out;
}

export async function startOtlpReceiver(): Promise<{ url: string; spans: ReceivedSpan[]; close(): Promise<void> }> {
  const spans: ReceivedSpan[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      let body = Buffer.concat(chunks);
      if (req.headers["content-encoding"] === "gzip") body = gunzipSync(body);
      if (req.url === "/v1/traces") spans.push(...decodeTraces(body));
      res.writeHead(200, { "content-type": "application/x-protobuf" }).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}
