import { Metadata, status, type ServerWritableStream } from "@grpc/grpc-js";
import type { catalogV1 } from "@booru/proto";
import { failStream, type Handler, type Scope } from "@booru/runtime";
import type { EventHub } from "./events.js";
import type { CatalogService } from "./service.js";

/** Scopes beyond `read` (keys are the service definition's method keys): dedup writes with `write`, deleting needs `admin`. */
export const CATALOG_SCOPES: Record<string, Scope> = {
  putImage: "write",
  recordDuplicate: "write",
  recordRejection: "write",
  deleteImage: "admin",
  retryRejection: "write",
  deleteRejection: "admin",
};

/** Events a slow WatchEvents client may fall behind by before it is dropped. */
const MAX_BUFFERED_EVENTS = 10_000;

/** gRPC handlers: adapt calls to the service, nothing else. */
export function catalogHandlers(service: CatalogService, hub: EventHub): Record<string, Handler> {
  return {
    putImage: (req: catalogV1.PutImageRequest) => service.putImage(req),
    recordDuplicate: (req: catalogV1.RecordDuplicateRequest) => service.recordDuplicate(req),
    recordRejection: (req: catalogV1.RecordRejectionRequest) => service.recordRejection(req),
    getImage: (req: catalogV1.GetImageRequest) => service.getImage(req),
    listImages: (req: catalogV1.ListImagesRequest) => service.listImages(req),
    getThumbnail: (req: catalogV1.GetThumbnailRequest) => service.getThumbnail(req),
    findSimilar: (req: catalogV1.FindSimilarRequest) => service.findSimilar(req),
    listDuplicates: (req: catalogV1.ListDuplicatesRequest) => service.listDuplicates(req),
    listRejections: (req: catalogV1.ListRejectionsRequest) => service.listRejections(req),
    deleteImage: (req: catalogV1.DeleteImageRequest) => service.deleteImage(req),
    getStats: () => service.getStats(),
    getActivity: (req: catalogV1.GetActivityRequest) => service.getActivity(req),
    retryRejection: (req: catalogV1.RetryRejectionRequest) => service.retryRejection(req),
    deleteRejection: (req: catalogV1.DeleteRejectionRequest) => service.deleteRejection(req),
    watchEvents: (_req: catalogV1.WatchEventsRequest, call: ServerWritableStream<catalogV1.WatchEventsRequest, catalogV1.WatchEventsResponse>) => watch(hub, call),
  };
}

/** Streams every event until the client goes away or the module stops. */
function watch(hub: EventHub, call: ServerWritableStream<catalogV1.WatchEventsRequest, catalogV1.WatchEventsResponse>): Promise<void> {
  return new Promise<void>((resolve) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      stopListening();
      stopClosing();
      resolve();
    };
    const stopListening = hub.listen((event) => {
      if (call.writableLength > MAX_BUFFERED_EVENTS) {
        failStream(call, { code: status.RESOURCE_EXHAUSTED, details: "watcher fell too far behind" });
        finish();
        return;
      }
      call.write({ event });
    });
    const stopClosing = hub.onClose(finish);
    call.on("cancelled", finish);
    call.on("close", finish);
    call.on("error", finish);
    // Headers now, so a client knows the stream is open before the first event.
    call.sendMetadata(new Metadata());
  });
}
