// Offline validation of rendered objects: built-in kinds against the Kubernetes OpenAPI schemas
// compiled into kubernetes-models; the CRDs we use (KEDA, Prometheus Operator, cert-manager)
// against the minimal shape their controllers require.
import * as models from "kubernetes-models";
import type { K8sObject } from "./render.js";

type Validatable = { validate(): void };
type ModelClass = new (data: object) => Validatable;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DURATION = /^(\d+(ms|s|m|h))+$/;

/** apiVersion "networking.k8s.io/v1" -> models.networkingK8sIo.v1; "v1" -> models.v1. */
function modelFor(apiVersion: string, kind: string): ModelClass | undefined {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  const key = group ? group.replace(/\.(\w)/g, (_, c: string) => c.toUpperCase()) : "v1";
  const ns = (models as unknown as Record<string, Record<string, Record<string, unknown>>>)[key];
  const byVersion = group ? ns?.[version!] : ns;
  return byVersion?.[kind] as ModelClass | undefined;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === "string" && v.length > 0;
const isInt = (v: unknown): v is number => Number.isInteger(v);
const stringMap = (v: unknown) => v === undefined || (isObj(v) && Object.values(v).every((x) => typeof x === "string"));

function scaledObject(spec: Record<string, unknown>): string[] {
  const errs: string[] = [];
  if (!isObj(spec.scaleTargetRef) || !isStr(spec.scaleTargetRef.name)) errs.push("spec.scaleTargetRef.name is required");
  for (const k of ["minReplicaCount", "maxReplicaCount", "pollingInterval", "cooldownPeriod"]) {
    if (spec[k] !== undefined && (!isInt(spec[k]) || (spec[k] as number) < 0)) errs.push(`spec.${k} must be a non-negative integer`);
  }
  if (isInt(spec.minReplicaCount) && isInt(spec.maxReplicaCount) && spec.minReplicaCount > spec.maxReplicaCount) errs.push("minReplicaCount > maxReplicaCount");
  const triggers = spec.triggers;
  if (!Array.isArray(triggers) || triggers.length === 0) return [...errs, "spec.triggers must be a non-empty list"];
  triggers.forEach((t, i) => {
    if (!isObj(t) || !isStr(t.type) || !isObj(t.metadata) || !stringMap(t.metadata)) {
      errs.push(`spec.triggers[${i}] needs a type and string-valued metadata`);
      return;
    }
    if (t.type === "nats-jetstream") {
      for (const k of ["natsServerMonitoringEndpoint", "account", "stream", "consumer", "lagThreshold"]) {
        if (!isStr(t.metadata[k])) errs.push(`spec.triggers[${i}].metadata.${k} is required by the nats-jetstream scaler`);
      }
      if (!/^\d+$/.test(String(t.metadata.lagThreshold))) errs.push(`spec.triggers[${i}].metadata.lagThreshold must be an integer string`);
    }
  });
  return errs;
}

function serviceMonitor(spec: Record<string, unknown>): string[] {
  const errs: string[] = [];
  if (!isObj(spec.selector)) errs.push("spec.selector is required");
  if (!Array.isArray(spec.endpoints) || spec.endpoints.length === 0) return [...errs, "spec.endpoints must be a non-empty list"];
  spec.endpoints.forEach((e, i) => {
    if (!isObj(e) || !(isStr(e.port) || isStr(e.targetPort))) errs.push(`spec.endpoints[${i}] needs a port name`);
    else if (e.interval !== undefined && !DURATION.test(String(e.interval))) errs.push(`spec.endpoints[${i}].interval is not a duration`);
  });
  return errs;
}

function prometheusRule(spec: Record<string, unknown>): string[] {
  const errs: string[] = [];
  if (!Array.isArray(spec.groups) || spec.groups.length === 0) return ["spec.groups must be a non-empty list"];
  spec.groups.forEach((g, i) => {
    if (!isObj(g) || !isStr(g.name) || !Array.isArray(g.rules) || g.rules.length === 0) {
      errs.push(`spec.groups[${i}] needs a name and rules`);
      return;
    }
    g.rules.forEach((r, j) => {
      const at = `spec.groups[${i}].rules[${j}]`;
      if (!isObj(r) || !isStr(r.expr)) return errs.push(`${at}.expr is required`);
      if (isStr(r.alert) === isStr(r.record)) errs.push(`${at} needs exactly one of alert and record`);
      if (r.for !== undefined && !DURATION.test(String(r.for))) errs.push(`${at}.for is not a duration`);
      if (!stringMap(r.labels) || !stringMap(r.annotations)) errs.push(`${at} labels and annotations must be string maps`);
    });
  });
  return errs;
}

function certificate(spec: Record<string, unknown>): string[] {
  const errs: string[] = [];
  if (!isStr(spec.secretName)) errs.push("spec.secretName is required");
  if (!isObj(spec.issuerRef) || !isStr(spec.issuerRef.name)) errs.push("spec.issuerRef.name is required");
  if (!Array.isArray(spec.dnsNames) || spec.dnsNames.length === 0 || !spec.dnsNames.every(isStr)) errs.push("spec.dnsNames must list names");
  return errs;
}

const CRDS: Record<string, (spec: Record<string, unknown>) => string[]> = {
  "keda.sh/v1alpha1/ScaledObject": scaledObject,
  "monitoring.coreos.com/v1/ServiceMonitor": serviceMonitor,
  "monitoring.coreos.com/v1/PrometheusRule": prometheusRule,
  "cert-manager.io/v1/Certificate": certificate,
};

/** kustomize wraps long base64 Secret data over lines; the API server's decoder skips newlines. */
function apiServerForm(obj: K8sObject): K8sObject {
  if (obj.kind !== "Secret" || !obj.data) return obj;
  return { ...obj, data: Object.fromEntries(Object.entries(obj.data).map(([k, v]) => [k, v.replace(/[\r\n]/g, "")])) };
}

/** Problems with one object; empty when it validates. */
export function validateObject(obj: K8sObject): string[] {
  const name = obj.metadata?.name;
  if (!isStr(name) || name.length > 253 || !name.split(".").every((p) => DNS_LABEL.test(p))) return [`metadata.name ${JSON.stringify(name)} is not a valid name`];
  const crd = CRDS[`${obj.apiVersion}/${obj.kind}`];
  if (crd) return isObj(obj.spec) ? crd(obj.spec) : ["spec is required"];
  const Model = modelFor(obj.apiVersion, obj.kind);
  if (!Model) return [`no schema for ${obj.apiVersion} ${obj.kind}`];
  try {
    new Model(apiServerForm(obj)).validate();
    return [];
  } catch (err) {
    return [(err as Error).message];
  }
}
