// Verifies Standard Webhooks deliveries with the scheme's reference TypeScript library (npm
// `standardwebhooks`), an implementation skytale did not write. Reads JSON from stdin:
// {"secret": "whsec_…", "deliveries": [{"headers": {…}, "body": "…"}]}; prints one line per
// delivery, "ok" or "error: <why>", and exits 1 if any failed.
import { Webhook } from "standardwebhooks";

let input = "";
for await (const chunk of process.stdin) input += chunk;
const { secret, deliveries } = JSON.parse(input);
const wh = new Webhook(secret);
let failed = false;
for (const d of deliveries) {
  try {
    wh.verify(d.body, d.headers);
    console.log("ok");
  } catch (e) {
    failed = true;
    console.log(`error: ${e.message}`);
  }
}
process.exit(failed ? 1 : 0);
