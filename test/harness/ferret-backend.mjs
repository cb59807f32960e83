// Where a locally started FerretDB keeps its data; shared by the test harness (servers.ts) and
// bench/soak.mjs. PostgreSQL when a server answers at BOORU_TEST_POSTGRES (a fresh database per
// FerretDB), else SQLite in the given folder; BOORU_TEST_FERRET_BACKEND (sqlite | postgresql)
// forces one. PostgreSQL first because FerretDB's SQLite backend uses the `_id` index only for
// filters on `_id` alone: every conditional claim update (`{_id, owner, state}`) scans the whole
// collection there, so a 10,000-file load slowed down as it went (profiled: 82% of FerretDB's
// CPU in update scans).
import { execFileSync } from "node:child_process";
import path from "node:path";

/** The PostgreSQL server, without a database name. */
const base = () => (process.env.BOORU_TEST_POSTGRES ?? "postgres://root@127.0.0.1:5432").replace(/\/+$/, "");

/** @param {string} sql */
function psql(sql) {
  execFileSync("psql", [`${base()}/postgres`, "-v", "ON_ERROR_STOP=1", "-qc", sql], { stdio: ["ignore", "ignore", "pipe"], timeout: 10_000 });
}

function postgresReachable() {
  try {
    psql("SELECT 1");
    return true;
  } catch {
    return false;
  }
}

/**
 * FerretDB arguments for its data (after --listen-addr), and a function that deletes the data.
 * `built` is the backend the binary was built with (scripts/build-ferretdb.sh writes it).
 * @param {string} built
 * @param {string} dir an empty folder of the caller's
 * @returns {{ backend: string, args: string[], drop: () => void }}
 */
export function ferretStorage(built, dir) {
  const backend = process.env.BOORU_TEST_FERRET_BACKEND ?? (built === "sqlite" && !postgresReachable() ? "sqlite" : "postgresql");
  if (backend === "sqlite") return { backend, args: ["--handler", "sqlite", "--sqlite-url", `file:${dir}/`], drop: () => {} };
  const database = `booru_${path.basename(dir).replace(/\W/g, "_").toLowerCase()}`;
  psql(`CREATE DATABASE ${database}`);
  return {
    backend,
    args: ["--handler", "postgresql", "--postgresql-url", `${base()}/${database}`],
    drop: () => psql(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`),
  };
}
