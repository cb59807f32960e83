/**
 * Issue 18: the Python client (clients/python), installed the way its README says, runs its
 * unittest suite (clients/python/tests) against a running `booru up` with tokens: pages, get,
 * thumbnail bytes, similar, live events, auth errors, and the follow_to_sqlite example.
 *
 * Python is Debian's /usr/bin/python3 (BOORU_PYTHON overrides): it sees python3-grpcio and
 * python3-protobuf, which a pyenv python3 first on PATH may not.
 */
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpSync, mkdtempSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { REPO, libraryMd5s, md5, waitFor } from "../harness/index.js";
import { dropImages, requireTool, runningBooru } from "./clients-support.js";

const PYTHON = process.env.BOORU_PYTHON ?? "/usr/bin/python3";
const CLIENT = path.join(REPO, "clients/python");

function pythonProblem(): string | undefined {
  try {
    execFileSync(PYTHON, ["-c", "import grpc, google.protobuf, setuptools, venv"], { stdio: "pipe" });
    return undefined;
  } catch (err) {
    return `${PYTHON} cannot import grpc, google.protobuf, setuptools and venv (scripts/install-system-deps.sh installs them): ${(err as { stderr?: Buffer }).stderr?.toString().trim() ?? err}`;
  }
}

const available = requireTool("Python client", pythonProblem());

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, cwd = REPO, timeoutMs = 240_000): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const proc = spawn(cmd, args, { cwd, env: { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: "1", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    proc.stdout.on("data", (b) => (output += b));
    proc.stderr.on("data", (b) => (output += b));
    const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
    proc.once("exit", (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? -1 : 0), output });
    });
  });
}

/**
 * A smooth image (upscaled 12x8 noise) and the same image re-encoded: their phash64 differ by a
 * bit or two (at most 2 in 100 trials), while unrelated images are 20+ bits apart.
 */
async function nearDuplicates(): Promise<[Buffer, Buffer]> {
  const original = await sharp(randomBytes(12 * 8 * 3), { raw: { width: 12, height: 8, channels: 3 } }).resize(192, 128, { kernel: "cubic" }).jpeg({ quality: 90 }).toBuffer();
  return [original, await sharp(original).jpeg({ quality: 60 }).toBuffer()];
}

describe.skipIf(!available)("Python client against booru up", () => {
  it("installs with the README's offline command and passes its unittest suite", async () => {
    // The README's Debian/offline install, into a fresh venv that sees Debian's grpcio. From a
    // copy of the tree: setuptools builds in place and would leave build/ and *.egg-info behind.
    const work = mkdtempSync(path.join(os.tmpdir(), "booru-py-"));
    const copy = path.join(work, "python");
    cpSync(CLIENT, copy, { recursive: true, filter: (src) => !/(^|\/)(build|\.mypy_cache|__pycache__|[^/]*\.egg-info)$/.test(src) });
    const venv = path.join(work, "venv");
    const made = await run(PYTHON, ["-m", "venv", "--system-site-packages", venv]);
    expect(made.code, made.output).toBe(0);
    // Without --no-deps: pip checks that Debian's grpcio and protobuf satisfy the declared versions.
    const pip = await run(path.join(venv, "bin/pip"), ["install", "--no-build-isolation", copy]);
    expect(pip.code, pip.output).toBe(0);
    expect(pip.output).toMatch(/Successfully installed booru-client-/);
    // Installed typed: the py.typed marker and the messages' .pyi stubs come along, outside the source tree.
    const where = await run(path.join(venv, "bin/python"), ["-c", "import booru_client, pathlib; p = pathlib.Path(booru_client.__file__).parent; print(p, (p / 'py.typed').is_file(), (p / 'gen/booru/catalog/v1/catalog_pb2.pyi').is_file())"], {}, os.tmpdir());
    expect(where.output.trim()).toMatch(new RegExp(`^${venv}/lib/python3\\.\\d+/site-packages/booru_client True True$`));

    const booru = await runningBooru({ mode: "embedded", tokens: true, images: 5 });
    const pair = await nearDuplicates();
    await Promise.all(pair.map((bytes, i) => writeFile(path.join(booru.inbox, `pair${i}.jpg`), bytes)));
    const pairMd5s = pair.map(md5);
    await waitFor("the pair to be filed", async () => (await libraryMd5s(path.join(booru.data, "library"))).length === booru.md5s.length + 2, 60_000);
    const spare = path.join(booru.data, "spare");
    await mkdir(spare);
    await dropImages(spare, 4);

    // From outside the copied tree (its src/ is not on the path): `import booru_client` is the installed package.
    const tests = await run(path.join(venv, "bin/python"), ["-m", "unittest", "discover", "-v", "-s", path.join(copy, "tests")], {
      BOORU_TEST_ADDRESS: booru.app.target,
      BOORU_TEST_READ_TOKEN: booru.tokens!.read,
      BOORU_TEST_MD5S: booru.md5s.join(","),
      BOORU_TEST_PAIR: pairMd5s.join(","),
      BOORU_TEST_INBOX: booru.inbox,
      BOORU_TEST_SPARE: spare,
    }, os.tmpdir());
    expect(tests.code, tests.output).toBe(0);
    const ran = Number(/^Ran (\d+) tests?/m.exec(tests.output)?.[1] ?? 0);
    expect(ran, tests.output).toBeGreaterThanOrEqual(12);
    expect(tests.output).not.toMatch(/skipped/);
  }, 300_000);
});
