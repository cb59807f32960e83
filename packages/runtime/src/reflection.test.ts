import { afterEach, describe, expect, it } from "vitest";
import { credentials, makeGenericClientConstructor, type ServiceDefinition } from "@grpc/grpc-js";
import { fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { hasherV1, reflectionV1 } from "@booru/proto";
import { GrpcHost } from "./grpc-host.js";
import { Authenticator, bearer, parseTokens } from "./auth.js";
import { createLogger } from "./logger.js";
import { DescriptorIndex } from "./reflection.js";

type Request = reflectionV1.ServerReflectionRequest;
type Response = reflectionV1.ServerReflectionResponse;

const index = DescriptorIndex.load();
const decode = (b: Uint8Array) => fromBinary(FileDescriptorProtoSchema, b);
const filesOf = (res: Response) => (res.fileDescriptorResponse?.fileDescriptorProto ?? []).map(decode);

const V1ALPHA = {
  serverReflectionInfo: { ...reflectionV1.ServerReflectionService.serverReflectionInfo, path: "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo" },
} as unknown as ServiceDefinition;
const clients = {
  v1: reflectionV1.ServerReflectionClient,
  v1alpha: makeGenericClientConstructor(V1ALPHA, "ServerReflection") as unknown as typeof reflectionV1.ServerReflectionClient,
};

/** Sends the requests on one reflection stream and collects the answers. */
async function ask(target: string, requests: Partial<Request>[], opts: { token?: string; version?: keyof typeof clients } = {}): Promise<Response[]> {
  const client = new clients[opts.version ?? "v1"](target, credentials.createInsecure());
  try {
    return await new Promise<Response[]>((resolve, reject) => {
      const out: Response[] = [];
      const call = client.serverReflectionInfo(bearer(opts.token), { deadline: Date.now() + 5000 });
      call.on("data", (r: Response) => out.push(r));
      call.on("error", reject);
      call.on("end", () => resolve(out));
      for (const r of requests) call.write(reflectionV1.ServerReflectionRequest.fromPartial(r));
      call.end();
    });
  } finally {
    client.close();
  }
}

describe("DescriptorIndex", () => {
  it("serves a file with its imports and fully-qualified type names, as buf built them", () => {
    const files = index.withImports(index.fileContainingSymbol("booru.catalog.v1.Catalog")).map(decode);
    expect(files.map((f) => f.name)).toEqual(["booru/catalog/v1/catalog.proto", "booru/hasher/v1/hasher.proto"]);
    expect(files[0]!.dependency).toEqual(["booru/hasher/v1/hasher.proto"]);
    const image = files[0]!.messageType.find((m) => m.name === "Image")!;
    expect(image.field.find((f) => f.name === "hashes")!.typeName).toBe(".booru.hasher.v1.Hashes");
    // Source comments travel along, so `grpcurl describe` shows them.
    expect(files[0]!.sourceCodeInfo?.location.some((l) => l.leadingComments.includes("Newest first"))).toBe(true);
  });

  it("finds every kind of symbol, and says NOT_FOUND for the rest", () => {
    const catalog = "booru/catalog/v1/catalog.proto";
    for (const symbol of ["booru.catalog.v1.Catalog.WatchEvents", "booru.catalog.v1.Image.hashes", "booru.catalog.v1.GetStatsResponse.RejectedByReasonEntry", "booru.catalog.v1.DISPOSITION_MOVED", "booru.catalog.v1.GetImageRequest.key"]) {
      expect(index.fileContainingSymbol(symbol), symbol).toBe(catalog);
    }
    expect(index.fileContainingSymbol(hasherV1.protobufPackage + ".Hasher")).toBe("booru/hasher/v1/hasher.proto");
    expect(index.fileContainingSymbol("grpc.health.v1.Health")).toBe("grpc/health/v1/health.proto");
    expect(() => index.fileContainingSymbol("booru.catalog.v1.Nope")).toThrow(/symbol not found/);
    expect(() => index.fileByFilename("nope.proto")).toThrow(/file not found/);
    expect(index.extensionNumbersOf("booru.catalog.v1.Image")).toEqual([]);
  });
});

describe("server reflection on GrpcHost", () => {
  const log = createLogger("test", "silent");
  let hosts: GrpcHost[] = [];
  afterEach(async () => {
    await Promise.all(hosts.map((h) => h.shutdown(1000)));
    hosts = [];
  });
  async function start(auth = new Authenticator([])): Promise<GrpcHost> {
    const host = new GrpcHost({ listen: "127.0.0.1:0", log, auth });
    hosts.push(host);
    await host.bind();
    return host;
  }
  const listed = async (target: string, opts = {}) => (await ask(target, [{ listServices: "*" }], opts))[0]!;

  it("lists exactly the services the server routes, also those added later, over v1 and v1alpha", async () => {
    const host = await start();
    // Every process serves Auth.Check, health and reflection itself.
    const builtIn = ["booru.auth.v1.Auth", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"];
    expect((await listed(host.localTarget)).listServicesResponse!.service.map((s) => s.name)).toEqual(builtIn);
    host.addService("booru.hasher.v1.Hasher", hasherV1.HasherService as unknown as ServiceDefinition, { hash: async () => ({}) });
    for (const version of ["v1", "v1alpha"] as const) {
      const names = (await listed(host.localTarget, { version })).listServicesResponse!.service.map((s) => s.name);
      expect(names).toEqual([...builtIn, "booru.hasher.v1.Hasher"].sort());
    }
    const [hasher, health, missing] = await ask(host.localTarget, [{ fileContainingSymbol: "booru.hasher.v1.Hasher" }, { fileContainingSymbol: "grpc.health.v1.Health.Check" }, { fileByFilename: "nope.proto" }]);
    expect(filesOf(hasher!).map((f) => f.name)).toEqual(["booru/hasher/v1/hasher.proto"]);
    expect(filesOf(health!).map((f) => f.name)).toEqual(["grpc/health/v1/health.proto"]);
    expect(missing!.errorResponse).toMatchObject({ errorCode: 5 });
  });

  it("with tokens: the API's schema needs a read token; health's stays public", async () => {
    const host = await start(new Authenticator(parseTokens("reader-token-0123456789 read cli\n")));
    const anonymous = await ask(host.localTarget, [{ listServices: "*" }, { fileContainingSymbol: "booru.catalog.v1.Catalog" }, { fileContainingSymbol: "grpc.health.v1.Health" }]);
    expect(anonymous[0]!.errorResponse).toMatchObject({ errorCode: 16, errorMessage: "missing bearer token" });
    expect(anonymous[1]!.errorResponse).toMatchObject({ errorCode: 16 });
    expect(filesOf(anonymous[2]!).map((f) => f.name)).toEqual(["grpc/health/v1/health.proto"]);
    expect((await listed(host.localTarget, { token: "wrong-token-0123456789" })).errorResponse).toMatchObject({ errorCode: 16, errorMessage: "unknown token" });
    const [catalog] = await ask(host.localTarget, [{ fileContainingSymbol: "booru.catalog.v1.Catalog" }], { token: "reader-token-0123456789" });
    expect(filesOf(catalog!).map((f) => f.name)).toEqual(["booru/catalog/v1/catalog.proto", "booru/hasher/v1/hasher.proto"]);
  });
});
