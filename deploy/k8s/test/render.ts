// Renders the kustomize overlays (alone and with every subset of the optional components) with
// `kubectl kustomize`, which works offline. Shared by the schema, policy and network tests.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

export const K8S_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const REPO_DIR = path.resolve(K8S_DIR, "../..");
export const OVERLAYS = ["dev", "prod", "local"] as const;
export const COMPONENTS = ["network-policies", "keda", "tls", "monitoring"] as const;
/** The namespace every overlay deploys to (the KEDA and TLS components name it too). */
export const NAMESPACE = "booru";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; spec?: any; data?: Record<string, string>; [k: string]: any };

export interface Rendered {
  name: string;
  overlay: string;
  components: string[];
  objects: K8sObject[];
}

export const kubectlAvailable = spawnSync("kubectl", ["version", "--client"], { stdio: "ignore" }).status === 0;

/** Components an overlay already lists in its kustomization.yaml (not added a second time). */
export function builtInComponents(overlay: string): string[] {
  const text = readFileSync(path.join(K8S_DIR, "overlays", overlay, "kustomization.yaml"), "utf8");
  return COMPONENTS.filter((c) => text.includes(`components/${c}`));
}

/** Every subset of `items`, the empty one first. */
export function subsets<T>(items: readonly T[]): T[][] {
  return items.reduce<T[][]>((acc, item) => acc.concat(acc.map((s) => [...s, item])), [[]]);
}

/** Every overlay with every subset of the components it does not include itself. */
export function combinations(): { overlay: string; components: string[] }[] {
  return OVERLAYS.flatMap((overlay) => {
    const extra = COMPONENTS.filter((c) => !builtInComponents(overlay).includes(c));
    return subsets(extra).map((components) => ({ overlay, components }));
  });
}

export function parseYamlStream(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((d) => {
      if (d.errors.length > 0) throw new Error(`YAML: ${d.errors[0]!.message}`);
      return d.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}

/** Runs `kubectl kustomize` on a directory; throws with kustomize's message on failure. */
export function kustomize(dir: string): K8sObject[] {
  const out = execFileSync("kubectl", ["kustomize", dir], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 32 << 20 });
  return parseYamlStream(out);
}

/**
 * Renders an overlay plus components the way a user would: a kustomization that lists the
 * overlay as a resource and the components, in the overlay's namespace. kustomize wants
 * relative paths, so the wrapper's paths are relative to a temp folder.
 */
export function render(overlay: string, components: readonly string[] = []): Rendered {
  const name = [overlay, ...components].join("+");
  if (components.length === 0) return { name, overlay, components: [], objects: kustomize(path.join(K8S_DIR, "overlays", overlay)) };
  const tmp = mkdtempSync(path.join(os.tmpdir(), "booru-kustomize-"));
  try {
    const rel = (p: string) => path.relative(tmp, path.join(K8S_DIR, p));
    const lines = [
      "apiVersion: kustomize.config.k8s.io/v1beta1",
      "kind: Kustomization",
      `namespace: ${NAMESPACE}`,
      "resources:",
      `  - ${rel(`overlays/${overlay}`)}`,
      "components:",
      ...components.map((c) => `  - ${rel(`components/${c}`)}`),
    ];
    writeFileSync(path.join(tmp, "kustomization.yaml"), lines.join("\n") + "\n");
    return { name, overlay, components: [...components], objects: kustomize(tmp) };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Time for the first renderAll() of a test file: one `kubectl kustomize` per combination (32)
 * takes a few seconds each on a busy 2-core machine. Tests render in a beforeAll with it.
 */
export const RENDER_TIMEOUT_MS = 600_000;

let cache: Rendered[] | undefined;

/** Every combination, rendered once per test process. */
export function renderAll(): Rendered[] {
  cache ??= combinations().map((c) => render(c.overlay, c.components));
  return cache;
}
