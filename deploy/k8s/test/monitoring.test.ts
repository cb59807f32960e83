import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { K8S_DIR, parseYamlStream, REPO_DIR } from "./render.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const documented = [...readFileSync(path.join(REPO_DIR, "docs/metrics.md"), "utf8").matchAll(/^\| `(booru_[a-z0-9_]+)`/gm)].map((m) => m[1]!);
/** prom-client's default process metrics and Prometheus' own `up`. */
const STANDARD = new Set(["process_cpu_seconds_total", "process_resident_memory_bytes", "nodejs_eventloop_lag_p99_seconds", "up"]);
const dashboard = JSON.parse(readFileSync(path.join(REPO_DIR, "deploy/grafana/booru.json"), "utf8"));
const rule = parseYamlStream(readFileSync(path.join(K8S_DIR, "components/monitoring/prometheusrule.yaml"), "utf8"))[0]!;
const alerts: Any[] = rule.spec.groups.flatMap((g: Any) => g.rules);

const metricsIn = (expr: string) =>
  [...expr.matchAll(/\b((?:booru|process|nodejs)_[a-z0-9_]+|up)\b(?=\s*[{[)\s])/g)].map((m) => m[1]!.replace(/_(bucket|sum|count)$/, ""));
const panels: Any[] = dashboard.panels.flatMap((p: Any) => [p, ...(p.panels ?? [])]);
const queries: string[] = panels.flatMap((p) => (p.targets ?? []).map((t: Any) => t.expr));

describe("Grafana dashboard", () => {
  it("reads docs/metrics.md", () => {
    expect(documented.length).toBeGreaterThanOrEqual(15);
  });

  it("uses only documented metric names", () => {
    const unknown = queries.flatMap(metricsIn).filter((m) => !documented.includes(m) && !STANDARD.has(m));
    expect([...new Set(unknown)]).toEqual([]);
  });

  it("shows every documented metric", () => {
    const used = new Set(queries.flatMap(metricsIn));
    expect(documented.filter((m) => !used.has(m))).toEqual([]);
  });

  it("is importable: unique panel ids, a grid position and the datasource variable everywhere", () => {
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of panels) {
      expect(p.gridPos, p.title).toMatchObject({ h: expect.any(Number), w: expect.any(Number) });
      if (p.type !== "row") expect(p.datasource?.uid, p.title).toBe("${datasource}");
    }
    expect(dashboard.templating.list.map((v: Any) => v.name)).toEqual(["datasource", "namespace"]);
  });
});

describe("PrometheusRule alerts", () => {
  it("use only documented metric names", () => {
    const unknown = alerts.flatMap((a) => metricsIn(a.expr)).filter((m) => !documented.includes(m) && !STANDARD.has(m));
    expect(unknown).toEqual([]);
  });

  it("cover a growing backlog, a rejection spike and no progress", () => {
    const expr = (name: string) => alerts.find((a) => a.alert === name)?.expr ?? "";
    expect(expr("BooruIngestLagGrowing")).toContain("booru_queue_pending");
    expect(expr("BooruRejectionSpike")).toContain("booru_rejected_total");
    expect(expr("BooruNoProgress")).toMatch(/booru_queue_pending[\s\S]*booru_ingested_total/);
    for (const a of alerts) expect(a.annotations?.summary, a.alert).toBeTruthy();
  });
});

const promtool = spawnSync("promtool", ["--version"], { stdio: "ignore" }).status === 0;

describe.runIf(promtool)("promtool", () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), "booru-promtool-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const run = (...args: string[]) => spawnSync("promtool", args, { cwd: tmp, encoding: "utf8" });

  it("accepts the alert rules and every dashboard query", () => {
    writeFileSync(path.join(tmp, "rules.yaml"), stringify(rule.spec));
    const check = run("check", "rules", "rules.yaml");
    expect(check.status, check.stdout + check.stderr).toBe(0);
    // Dashboard queries as recording rules, with Grafana's variables filled in, so promtool parses them.
    const asRules = queries.map((q, i) => ({ record: `dashboard:query_${i}`, expr: q.replaceAll("$__rate_interval", "5m").replaceAll("$namespace", ".*") }));
    writeFileSync(path.join(tmp, "dashboard.yaml"), stringify({ groups: [{ name: "dashboard", rules: asRules }] }));
    const dash = run("check", "rules", "dashboard.yaml");
    expect(dash.status, dash.stdout + dash.stderr).toBe(0);
  });

  it("fires each alert when it should and not otherwise (promtool test rules)", () => {
    // Which alerts fire is the question here; annotations (templated with $value) are left out.
    const groups = rule.spec.groups.map((g: Any) => ({ ...g, rules: g.rules.map(({ annotations: _, ...r }: Any) => r) }));
    writeFileSync(path.join(tmp, "rules.yaml"), stringify({ groups }));
    const tests = parseYamlStream(readFileSync(path.join(K8S_DIR, "test/alerts.promtest.yaml"), "utf8"))[0] as Any;
    writeFileSync(path.join(tmp, "tests.yaml"), stringify({ rule_files: ["rules.yaml"], ...tests }));
    const res = run("test", "rules", "tests.yaml");
    expect(res.status, res.stdout + res.stderr).toBe(0);
  });
});

if (!promtool) {
  describe("promtool", () => {
    it.skip("promtool is not installed (Debian package prometheus): alert rules were not evaluated", () => {});
  });
}
