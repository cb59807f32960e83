/**
 * Query plans of what a piece of code sends to a MongoDB-protocol server: each read or change is
 * explained as the find that selects its documents, and what reads a whole collection is listed:
 * MongoDB's COLLSCAN; under FerretDB, PostgreSQL's Seq Scan, or a sort FerretDB does itself (it
 * reads every document the filter selects to sort them).
 */
import { MongoClient, type CommandStartedEvent, type Db, type Document } from "mongodb";
import { mongoUrl, uniqueName } from "./index.js";

const READS = new Set(["find", "count", "aggregate", "update", "delete", "findAndModify"]);

export interface Explained {
  command: string;
  filter: string;
  scans: string[];
}

/** The find that selects what a command reads or changes. */
function asFind(e: CommandStartedEvent): Document {
  const c = e.command;
  const find = c[e.commandName] as string;
  const filters: Record<string, () => unknown> = {
    find: () => c.filter,
    count: () => c.query,
    aggregate: () => (c.pipeline as Document[])[0]?.$match,
    update: () => (c.updates as Document[])[0]!.q,
    delete: () => (c.deletes as Document[])[0]!.q,
    findAndModify: () => c.query,
  };
  return { find, filter: filters[e.commandName]!() ?? {}, ...(c.sort && { sort: c.sort }), ...(c.limit && { limit: c.limit }) };
}

const WHOLE = new Set(["COLLSCAN", "Seq Scan"]);

function scans(plan: unknown): string[] {
  if (!plan || typeof plan !== "object") return [];
  const node = plan as Record<string, unknown>;
  const stage = String(node.stage ?? node["Node Type"]);
  return [...(WHOLE.has(stage) ? [stage] : []), ...Object.values(node).flatMap(scans)];
}

export interface PlanProbe {
  db: Db;
  /** True on FerretDB. */
  ferret: boolean;
  /** Runs `work`, then explains every read and change it sent. */
  explain(work: () => Promise<void>): Promise<Explained[]>;
  close(): Promise<void>;
}

export async function planProbe(prefix: string): Promise<PlanProbe> {
  const client = new MongoClient(mongoUrl(), { monitorCommands: true });
  await client.connect();
  const db = client.db(uniqueName(prefix));
  const ferret = "ferretdbVersion" in (await db.admin().command({ buildInfo: 1 }));
  return {
    db,
    ferret,
    async explain(work) {
      const sent: CommandStartedEvent[] = [];
      const listen = (e: CommandStartedEvent) => void (READS.has(e.commandName) && sent.push(e));
      client.on("commandStarted", listen);
      try {
        await work();
      } finally {
        client.off("commandStarted", listen);
      }
      const out: Explained[] = [];
      for (const e of sent) {
        const find = asFind(e);
        const explained = await db.command({ explain: find, verbosity: "queryPlanner" });
        const sortedInFerret = ferret && find.sort && explained.sortPushdown === false ? ["sort in FerretDB"] : [];
        out.push({ command: `${e.commandName} ${find.find as string}`, filter: JSON.stringify(find.filter), scans: [...scans(explained.queryPlanner), ...sortedInFerret] });
      }
      return out;
    },
    async close() {
      await db.dropDatabase().catch(() => undefined);
      await client.close();
    },
  };
}
