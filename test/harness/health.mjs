// grpc.health.v1 as a probe sees it, for tests and benchmarks (the servers answer it; no booru
// code calls it). Plain JavaScript so the benchmark scripts import it too.
import { credentials, makeGenericClientConstructor } from "@grpc/grpc-js";
import { service as healthService } from "grpc-health-check";

/** @typedef {"UNKNOWN" | "SERVING" | "NOT_SERVING" | "SERVICE_UNKNOWN" | "UNREACHABLE"} HealthStatus */

const HealthClient = makeGenericClientConstructor(/** @type {import("@grpc/grpc-js").ServiceDefinition} */ (/** @type {unknown} */ (healthService)), "Health");

/**
 * grpc.health.v1 Check against a target: what a Kubernetes gRPC probe or grpcurl would see.
 * @param {string} target
 * @returns {Promise<HealthStatus>}
 */
export async function checkHealth(target, service = "", timeoutMs = 2000) {
  const client = new HealthClient(target, credentials.createInsecure());
  try {
    return await new Promise((resolve) => {
      client.check({ service }, { deadline: new Date(Date.now() + timeoutMs) }, (/** @type {{ code?: number } | null} */ err, /** @type {{ status: HealthStatus }} */ res) => {
        if (err) resolve(err.code === 5 ? "SERVICE_UNKNOWN" : "UNREACHABLE");
        else resolve(res.status);
      });
    });
  } finally {
    client.close();
  }
}
