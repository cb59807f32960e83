import { credentials, makeGenericClientConstructor, type ServiceDefinition } from "@grpc/grpc-js";
import { service as healthService } from "grpc-health-check";

export type HealthStatus = "UNKNOWN" | "SERVING" | "NOT_SERVING" | "SERVICE_UNKNOWN" | "UNREACHABLE";

const HealthClient = makeGenericClientConstructor(healthService as unknown as ServiceDefinition, "Health");

/** grpc.health.v1 Check against a target: what a Kubernetes gRPC probe or grpcurl would see. */
export async function checkHealth(target: string, service = "", timeoutMs = 2000): Promise<HealthStatus> {
  const client = new HealthClient(target, credentials.createInsecure());
  try {
    return await new Promise<HealthStatus>((resolve) => {
      client.check({ service }, { deadline: new Date(Date.now() + timeoutMs) }, (err: { code?: number } | null, res: { status: HealthStatus }) => {
        if (err) resolve(err.code === 5 ? "SERVICE_UNKNOWN" : "UNREACHABLE");
        else resolve(res.status);
      });
    });
  } finally {
    client.close();
  }
}
