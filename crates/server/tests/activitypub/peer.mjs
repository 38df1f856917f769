// A fediverse account made with Fedify (npm @fedify/fedify), an ActivityPub server framework
// skytale did not write. Driven by crates/server/tests/push.rs:
//
//   node peer.mjs <the election's actor URL>
//
// It serves its own actor (RSA key, made here), asks WebFinger about the election's actor
// (by its URL: Fedify resolves `acct:` over https only, and the test server is plain http), reads
// the actor document with Fedify's vocabulary (which checks its shape and its public key),
// follows it with a request Fedify signs, and verifies with Fedify every request its inbox is
// sent. Each step is printed as one JSON line on stdout.
import http from "node:http";
import {
  Accept,
  Activity,
  Create,
  Follow,
  Note,
  Service,
  exportSpki,
  generateCryptoKeyPair,
  getDocumentLoader,
  lookupObject,
  lookupWebFinger,
  signRequest,
  verifyRequest,
} from "@fedify/fedify";

const say = (o) => process.stdout.write(JSON.stringify(o) + "\n");
const loader = getDocumentLoader({ allowPrivateAddress: true });
const options = { documentLoader: loader, contextLoader: loader };
const resource = process.argv[2];

const { privateKey, publicKey } = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
const pem = await exportSpki(publicKey);

let base = "";
const server = http.createServer(async (req, res) => {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const body = Buffer.concat(chunks);
  const url = new URL(req.url, base);
  if (req.method === "GET" && url.pathname === "/users/peer") {
    res.writeHead(200, { "content-type": "application/activity+json" });
    res.end(JSON.stringify({
      "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
      id: `${base}/users/peer`,
      type: "Person",
      preferredUsername: "peer",
      inbox: `${base}/users/peer/inbox`,
      outbox: `${base}/users/peer/outbox`,
      publicKey: { id: `${base}/users/peer#main-key`, owner: `${base}/users/peer`, publicKeyPem: pem },
    }));
    return;
  }
  if (req.method === "POST" && url.pathname === "/users/peer/inbox") {
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) headers.set(k, Array.isArray(v) ? v.join(", ") : v);
    const request = new Request(url, { method: "POST", headers, body });
    let verified = false;
    let owner = null;
    let error = null;
    try {
      const key = await verifyRequest(request, options);
      verified = key != null;
      owner = key?.ownerId?.href ?? null;
    } catch (e) {
      error = String(e);
    }
    let type = null;
    let note = null;
    try {
      const activity = await Activity.fromJsonLd(JSON.parse(body.toString()), options);
      type = activity.constructor.name;
      if (activity instanceof Create) {
        const object = await activity.getObject(options);
        if (object instanceof Note) {
          const attachments = [];
          for await (const a of object.getAttachments(options)) attachments.push(a?.mediaType ?? null);
          note = {
            content: object.content?.toString() ?? null,
            languages: (object.contents ?? []).map((c) => c.language?.compact?.() ?? c.locale?.baseName ?? null),
            attachments,
          };
        }
      }
      if (activity instanceof Accept) {
        const object = await activity.getObject(options);
        note = { accepted: object instanceof Follow ? object.id?.href : null };
      }
    } catch (e) {
      error = error ?? `parse: ${e}`;
    }
    say({ event: "inbox", type, verified, owner, note, error });
    res.writeHead(202);
    res.end();
    return;
  }
  res.writeHead(404);
  res.end();
});

server.listen(0, "127.0.0.1", async () => {
  base = `http://127.0.0.1:${server.address().port}`;
  try {
    const jrd = await lookupWebFinger(resource, { allowPrivateAddress: true });
    const self = jrd?.links?.find((l) => l.rel === "self");
    say({ event: "webfinger", subject: jrd?.subject ?? null, self: self?.href ?? null, type: self?.type ?? null });
    const actor = await lookupObject(self.href, options);
    const key = await actor?.getPublicKey?.(options);
    say({
      event: "actor",
      type: actor?.constructor?.name ?? null,
      id: actor?.id?.href ?? null,
      inbox: actor?.inboxId?.href ?? null,
      name: actor?.name?.toString() ?? null,
      key: key?.publicKey?.algorithm?.name ?? null,
      keyOwner: key?.ownerId?.href ?? null,
      service: actor instanceof Service,
    });
    const follow = new Follow({
      id: new URL(`${base}/follows/1`),
      actor: new URL(`${base}/users/peer`),
      object: actor.id,
    });
    const request = await signRequest(
      new Request(actor.inboxId, {
        method: "POST",
        headers: { "content-type": "application/activity+json" },
        body: JSON.stringify(await follow.toJsonLd(options)),
      }),
      privateKey,
      new URL(`${base}/users/peer#main-key`),
    );
    const resp = await fetch(request);
    say({ event: "follow", status: resp.status, body: await resp.text() });
  } catch (e) {
    say({ event: "error", error: String(e && e.stack || e) });
  }
});
