// Every hash and image fact (and the thumbnail's size and type) of each file in the given folders,
// through the service path, as JSON: diff two dumps to check that a change leaves the hashes
// bit-identical. node bench/_hasher-dump.mjs bench/photos ../shared/conformance/images > a.json
import { loadPhotos, makeFull } from "./_hasher-lib.mjs";

const full = makeFull(1);
const out = {};
for (const dir of process.argv.slice(2)) {
  for (const p of loadPhotos(dir)) {
    const r = await full.one(p.bytes);
    out[p.name] = { ...r.hashes, info: r.info, thumb: [r.thumbnail.width, r.thumbnail.height, r.thumbnail.mime] };
  }
}
await full.close();
console.log(JSON.stringify(out, null, 1));
