/**
 * gRPC server reflection (grpc.reflection.v1, and v1alpha for older tools) over the
 * FileDescriptorSet that buf builds from proto/ (scripts/generate.sh).
 *
 * Files are served byte for byte as buf wrote them: fully-qualified type names and their
 * imports, so a client resolves booru.catalog.v1.Image.hashes to booru.hasher.v1.Hashes. Only
 * the services this server routes are listed. Not @grpc/reflection: it re-encodes each file
 * through protobufjs with relative type names and no imports (grpcurl then cannot resolve
 * cross-file types), and lists every service of its descriptors, served or not.
 */
import { readFileSync } from "node:fs";
import { status, type Metadata, type Server, type ServerDuplexStream, type ServiceDefinition } from "@grpc/grpc-js";
import { fromBinary } from "@bufbuild/protobuf";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import { FileDescriptorProtoSchema, type DescriptorProto, type EnumDescriptorProto, type FieldDescriptorProto, type FileDescriptorProto } from "@bufbuild/protobuf/wkt";
import { descriptorSetPath, reflectionV1 } from "@booru/proto";
import { AppError } from "./errors.js";

type Request = reflectionV1.ServerReflectionRequest;
type Response = reflectionV1.ServerReflectionResponse;

/** Every file of a FileDescriptorSet, indexed by file name, symbol and extension. */
export class DescriptorIndex {
  private readonly files = new Map<string, { proto: FileDescriptorProto; bytes: Buffer }>();
  private readonly symbols = new Map<string, string>();
  /** extendee (fully qualified, no leading dot) -> field number -> file name */
  private readonly extensions = new Map<string, Map<number, string>>();

  constructor(set: Uint8Array) {
    for (const bytes of fileDescriptorBytes(set)) {
      const proto = fromBinary(FileDescriptorProtoSchema, bytes);
      this.files.set(proto.name, { proto, bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) });
      this.indexFile(proto);
    }
  }

  static load(path = descriptorSetPath): DescriptorIndex {
    return new DescriptorIndex(readFileSync(path));
  }

  has(symbol: string): boolean {
    return this.symbols.has(symbol);
  }

  /** The file declaring a symbol (package.Service, package.Service.Method, package.Message...). */
  fileContainingSymbol(symbol: string): string {
    const file = this.symbols.get(symbol);
    if (!file) throw new AppError(status.NOT_FOUND, `symbol not found: ${symbol}`);
    return file;
  }

  fileByFilename(name: string): string {
    if (!this.files.has(name)) throw new AppError(status.NOT_FOUND, `file not found: ${name}`);
    return name;
  }

  fileContainingExtension(extendee: string, number: number): string {
    const file = this.extensions.get(extendee)?.get(number);
    if (!file) throw new AppError(status.NOT_FOUND, `no extension ${number} of ${extendee}`);
    return file;
  }

  extensionNumbersOf(messageType: string): number[] {
    if (!this.symbols.has(messageType)) throw new AppError(status.NOT_FOUND, `type not found: ${messageType}`);
    return [...(this.extensions.get(messageType)?.keys() ?? [])].sort((a, b) => a - b);
  }

  /** The file's bytes first, then those of everything it imports, transitively, each once. */
  withImports(name: string): Buffer[] {
    const seen = new Set<string>();
    const out: Buffer[] = [];
    const visit = (n: string) => {
      const file = this.files.get(n);
      if (!file || seen.has(n)) return;
      seen.add(n);
      out.push(file.bytes);
      file.proto.dependency.forEach(visit);
    };
    visit(name);
    return out;
  }

  private indexFile(file: FileDescriptorProto): void {
    const add = (symbol: string) => this.symbols.set(symbol, file.name);
    const addExtension = (ext: FieldDescriptorProto, scope: string) => {
      add(scope + ext.name);
      const extendee = ext.extendee.replace(/^\./, "");
      const byNumber = this.extensions.get(extendee) ?? new Map<number, string>();
      this.extensions.set(extendee, byNumber.set(ext.number, file.name));
    };
    // Enum values are scoped beside their enum (package.VALUE), as protoc scopes them.
    const addEnum = (e: EnumDescriptorProto, scope: string) => {
      add(scope + e.name);
      for (const v of e.value) add(scope + v.name);
    };
    const addMessage = (m: DescriptorProto, scope: string) => {
      const name = scope + m.name;
      add(name);
      for (const f of m.field) add(`${name}.${f.name}`);
      for (const o of m.oneofDecl) add(`${name}.${o.name}`);
      for (const x of m.extension) addExtension(x, `${name}.`);
      for (const n of m.nestedType) addMessage(n, `${name}.`);
      for (const e of m.enumType) addEnum(e, `${name}.`);
    };
    const scope = file.package ? `${file.package}.` : "";
    for (const m of file.messageType) addMessage(m, scope);
    for (const e of file.enumType) addEnum(e, scope);
    for (const x of file.extension) addExtension(x, scope);
    for (const s of file.service) {
      add(scope + s.name);
      for (const m of s.method) add(`${scope}${s.name}.${m.name}`);
    }
  }
}

/** The raw bytes of each `file` (field 1) of a FileDescriptorSet, as written. */
function fileDescriptorBytes(set: Uint8Array): Uint8Array[] {
  const reader = new BinaryReader(set);
  const out: Uint8Array[] = [];
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1 && wireType === WireType.LengthDelimited) out.push(reader.bytes());
    else reader.skip(wireType);
  }
  return out;
}

/** The service names a definition routes ("/pkg.Service/Method" -> "pkg.Service"). */
export function serviceNamesOf(definition: ServiceDefinition): string[] {
  return [...new Set(Object.values(definition).map((m) => m.path.split("/")[1]!))];
}

const V1 = reflectionV1.ServerReflectionService;
/** v1alpha has the same messages as v1 on the wire; only the service name differs. */
const V1ALPHA = {
  serverReflectionInfo: { ...V1.serverReflectionInfo, path: "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo" },
};

export interface ReflectionOptions {
  /** The services to list: what the server routes right now. */
  listServices: () => string[];
  /** Throws (an AppError) when the caller may not read this server's own API schema. */
  authorize: (metadata: Metadata) => void;
}

/**
 * Symbols and files of gRPC's own protocols (grpc.health.v1.Health, grpc/health/v1/...): their
 * schema is public, so `grpcurl ... grpc.health.v1.Health/Check` works without a token. Listing
 * services and everything else goes through `authorize`. (They import nothing of ours.)
 */
const PUBLIC = /^grpc[./](health|reflection)[./]/;

/** grpc.reflection.v1 and v1alpha ServerReflectionInfo over a DescriptorIndex. */
export class ServerReflection {
  constructor(
    private readonly index: DescriptorIndex,
    private readonly opts: ReflectionOptions,
  ) {}

  /** Adds both reflection services; returns the definitions added. */
  addToServer(server: Pick<Server, "addService">): ServiceDefinition[] {
    const definitions = [V1, V1ALPHA] as unknown as ServiceDefinition[];
    const serve = (call: ServerDuplexStream<Request, Response>) => {
      call.on("data", (req: Request) => {
        // A client that asks without reading the answers is not buffered for without bound.
        if (!call.write(this.answer(req, call.metadata))) {
          call.pause();
          call.once("drain", () => call.resume());
        }
      });
      call.on("end", () => call.end());
    };
    for (const d of definitions) server.addService(d, { serverReflectionInfo: serve });
    return definitions;
  }

  /** One response per request; a lookup that fails answers with an error_response. */
  answer(req: Request, metadata: Metadata): Response {
    const base: Response = { validHost: req.host, originalRequest: req };
    try {
      return { ...base, ...this.lookup(req, metadata) };
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      return { ...base, errorResponse: { errorCode: err.code, errorMessage: err.message } };
    }
  }

  private lookup(req: Request, metadata: Metadata): Partial<Response> {
    const asked = req.fileContainingSymbol ?? req.fileByFilename;
    if (asked === undefined || !PUBLIC.test(asked)) this.opts.authorize(metadata);
    const files = (file: string) => ({ fileDescriptorResponse: { fileDescriptorProto: this.index.withImports(file) } });
    if (req.fileContainingSymbol !== undefined) return files(this.index.fileContainingSymbol(req.fileContainingSymbol));
    if (req.fileByFilename !== undefined) return files(this.index.fileByFilename(req.fileByFilename));
    if (req.listServices !== undefined) return { listServicesResponse: { service: this.opts.listServices().map((name) => ({ name })) } };
    if (req.fileContainingExtension !== undefined) {
      const { containingType, extensionNumber } = req.fileContainingExtension;
      return files(this.index.fileContainingExtension(containingType, extensionNumber));
    }
    if (req.allExtensionNumbersOfType !== undefined) {
      const type = req.allExtensionNumbersOfType;
      return { allExtensionNumbersResponse: { baseTypeName: type, extensionNumber: this.index.extensionNumbersOf(type) } };
    }
    throw new AppError(status.INVALID_ARGUMENT, "empty reflection request");
  }
}
